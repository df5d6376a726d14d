package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/identsphere/identsphere-go/core"
)

// Prefixes of the keys of ReplayCache: apart from the revocations'
// prefix, which the Store reads back whole on every resynchronisation.
const (
	// DefaultReplayPrefix is for DPoP proofs.
	DefaultReplayPrefix = "identsphere:dpop:"
	// DefaultLogoutReplayPrefix is for back-channel logout tokens.
	DefaultLogoutReplayPrefix = "identsphere:logout:"
)

// ReplayCache is a replay cache shared by a fleet through the Store's
// Redis: what one replica accepted, every other refuses. It serves as a
// core.ReplayCache for DPoP proofs (core.DPoPConfig.Replay) and as a
// backchannel.ReplayStore for logout tokens (backchannel.Config.Replay),
// each under a prefix of its own. Unlike revocations, it asks Redis on
// every use (one SET NX, atomic for the whole fleet), since a replay may
// arrive at any replica at once. When Redis cannot answer within the
// Store's Timeout, Seen returns an error: the DPoP checker then refuses
// the proof (fail closed), the logout receiver processes the logout (a
// logout is safe to apply twice).
type ReplayCache struct {
	s      *Store
	prefix string
}

var _ core.ReplayCache = (*ReplayCache)(nil)

// ReplayCache returns a replay cache of the fleet, its keys under prefix
// ("" for DefaultReplayPrefix), which must not be under Config.KeyPrefix.
// Give each use its own prefix (DefaultReplayPrefix for DPoP,
// DefaultLogoutReplayPrefix for logout tokens).
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

// Forget drops key (DEL), within the Store's Timeout: what it named was not
// used after all (a logout that could not be recorded durably, which the
// provider will post again).
func (c *ReplayCache) Forget(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, c.s.cfg.Timeout)
	defer cancel()
	if err := c.s.client.Del(ctx, c.prefix+key).Err(); err != nil {
		return fmt.Errorf("redisstore: replay cache at %s: %w", c.s.addr, err)
	}
	return nil
}
