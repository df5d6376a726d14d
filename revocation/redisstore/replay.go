package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/identsphere/identsphere-go/core"
)

// DefaultReplayPrefix starts the keys of ReplayCache: apart from the
// revocations' prefix, which the Store reads back whole on every
// resynchronisation.
const DefaultReplayPrefix = "identsphere:dpop:"

// ReplayCache is a core.ReplayCache shared by a fleet through the Store's
// Redis: a DPoP proof accepted by one replica is refused by all others
// (core.DPoPConfig.Replay). Unlike revocations, it asks Redis on every
// DPoP request (one SET NX), since a replay may arrive at any replica at
// once; when Redis cannot answer within the Store's Timeout, the proof is
// refused (fail closed).
type ReplayCache struct {
	s      *Store
	prefix string
}

var _ core.ReplayCache = (*ReplayCache)(nil)

// ReplayCache returns the fleet's DPoP replay cache, its keys under prefix
// ("" for DefaultReplayPrefix), which must not be under Config.KeyPrefix.
func (s *Store) ReplayCache(prefix string) (*ReplayCache, error) {
	if prefix == "" {
		prefix = DefaultReplayPrefix
	}
	if len(prefix) >= len(s.cfg.KeyPrefix) && prefix[:len(s.cfg.KeyPrefix)] == s.cfg.KeyPrefix {
		return nil, errors.New("redisstore: the replay cache's prefix must not be under Config.KeyPrefix")
	}
	return &ReplayCache{s: s, prefix: prefix}, nil
}

// Seen implements core.ReplayCache: SET key NX with the proof's expiry.
func (c *ReplayCache) Seen(ctx context.Context, key string, until time.Time) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.s.cfg.Timeout)
	defer cancel()
	ttl := until.Sub(c.s.cfg.Now())
	if ttl < time.Second {
		ttl = time.Second
	}
	err := c.s.client.SetArgs(ctx, c.prefix+key, "1", redis.SetArgs{Mode: "NX", TTL: ttl}).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return true, nil // already there: a replay
	case err != nil:
		return false, fmt.Errorf("redisstore: replay cache at %s: %w", c.s.addr, err)
	}
	return false, nil
}
