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

// DefaultReplayCacheSize is how many proofs a MemoryReplayCache remembers
// by default: about 50 MiB when full, which with one-minute proofs takes
// some 16,000 proofs a second.
const DefaultReplayCacheSize = 1 << 21

const replayShards = 64

// MemoryReplayCache is a ReplayCache in memory, sharded so that proofs
// arriving together on many cores take no common lock.
//
// Each shard keeps two generations, the current one, where keys are
// recorded, and the previous one; when the previous one holds nothing that
// could still be replayed, it is dropped whole and the current one takes
// its place. A lookup or a record costs the same however full the cache
// is, and nothing is ever swept entry by entry. A key is kept at most
// twice as long as the longest-lived key given; when max keys are kept,
// new ones are refused (a proof that cannot be remembered is not
// accepted) rather than one forgotten that could be replayed.
//
// It remembers a seeded 64-bit hash of each key, 16 bytes an entry with no
// pointer for the garbage collector to follow: two keys that collide, with
// odds of one in 2^64 a pair and a seed no client knows, make the second
// proof refused, never a replay accepted.
type MemoryReplayCache struct {
	seed     maphash.Seed
	perShard int
	now      func() time.Time
	shards   [replayShards]replayShard
}

// replayShard holds generations of key hashes, each mapped to when it
// expires (Unix nanoseconds).
type replayShard struct {
	mu        sync.Mutex
	cur, prev map[uint64]int64
	rotated   int64 // when cur was started, Unix nanoseconds
	recorded  int64 // when cur last recorded a key
	// life is the longest any key was to be kept when recorded: a
	// generation lasts that long, so the previous one has expired
	// whole when the current one is that old.
	life int64
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
		c.shards[i].cur, c.shards[i].prev = map[uint64]int64{}, map[uint64]int64{}
	}
	return c
}

// errReplayCacheFull refuses a proof the cache has no room to remember.
var errReplayCacheFull = tokenErr(CheckDPoP, "too many recent DPoP proofs to remember another", nil)

// Seen implements ReplayCache.
func (c *MemoryReplayCache) Seen(_ context.Context, key string, until time.Time) (bool, error) {
	return c.seenHash(maphash.String(c.seed, key), until)
}

// seen is Seen for a key built in a caller's buffer, without making it a
// string.
func (c *MemoryReplayCache) seen(key []byte, until time.Time) (bool, error) {
	return c.seenHash(maphash.Bytes(c.seed, key), until)
}

// seenHash records a key by its hash h (the same for a string and its
// bytes).
func (c *MemoryReplayCache) seenHash(h uint64, until time.Time) (bool, error) {
	s := &c.shards[h%replayShards]
	now, end := c.now().UnixNano(), until.UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now-s.rotated >= s.life { // every key of prev has expired
		clear(s.prev)                 // keeps its memory for the next generation
		if now-s.recorded >= s.life { // and every key of cur
			clear(s.cur)
		}
		s.prev, s.cur = s.cur, s.prev
		s.rotated = now
	}
	if exp, ok := s.cur[h]; ok && now < exp {
		return true, nil
	}
	if exp, ok := s.prev[h]; ok && now < exp {
		return true, nil
	}
	if len(s.cur)+len(s.prev) >= c.perShard {
		return false, errReplayCacheFull
	}
	s.cur[h] = end
	s.life, s.recorded = max(s.life, end-now), now
	return false, nil
}
