package core

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// ReplayCache remembers the jti of every DPoP proof accepted, for as long
// as the proof could be accepted, so that none is accepted twice. The
// in-memory MemoryReplayCache serves one process; for a fleet, implement it
// over a shared store (SET key NX with an expiry is the whole of it).
type ReplayCache interface {
	// Seen records key until until and reports whether it was already
	// recorded (and not yet expired). An error refuses the proof (fail
	// closed).
	Seen(ctx context.Context, key string, until time.Time) (bool, error)
}

// DefaultReplayCacheSize is how many proofs a MemoryReplayCache remembers.
const DefaultReplayCacheSize = 1 << 20

const replayShards = 64

// MemoryReplayCache is a ReplayCache in memory, sharded so that proofs
// arriving together on many cores take no common lock. When it holds max
// live entries it refuses new ones (a proof that cannot be remembered is
// not accepted) rather than forget one that could be replayed.
type MemoryReplayCache struct {
	seed     maphash.Seed
	perShard int
	now      func() time.Time
	shards   [replayShards]replayShard
}

type replayShard struct {
	mu     sync.Mutex
	m      map[string]time.Time
	writes int
}

// NewMemoryReplayCache returns a MemoryReplayCache for max entries (<= 0:
// DefaultReplayCacheSize). now is the clock (nil: time.Now).
func NewMemoryReplayCache(max int, now func() time.Time) *MemoryReplayCache {
	if max <= 0 {
		max = DefaultReplayCacheSize
	}
	if now == nil {
		now = time.Now
	}
	c := &MemoryReplayCache{seed: maphash.MakeSeed(), perShard: max/replayShards + 1, now: now}
	for i := range c.shards {
		c.shards[i].m = map[string]time.Time{}
	}
	return c
}

// errReplayCacheFull refuses a proof the cache has no room to remember.
var errReplayCacheFull = tokenErr("dpop", "too many recent DPoP proofs to remember another", nil)

// Seen implements ReplayCache.
func (c *MemoryReplayCache) Seen(_ context.Context, key string, until time.Time) (bool, error) {
	s := &c.shards[maphash.String(c.seed, key)%replayShards]
	now := c.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.m[key]; ok && now.Before(prev) {
		return true, nil
	}
	s.writes++
	if len(s.m) >= c.perShard || s.writes%256 == 0 {
		for k, t := range s.m {
			if !now.Before(t) {
				delete(s.m, k)
			}
		}
		if len(s.m) >= c.perShard {
			return false, errReplayCacheFull
		}
	}
	s.m[key] = until
	return false, nil
}
