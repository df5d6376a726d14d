package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/internal/redistest"
	"github.com/identsphere/identsphere-go/revocation/redisstore"
)

// A DPoP proof remembered by one replica is a replay for every other; the
// entry expires with the proof; without Redis, proofs are refused.
func TestReplayCacheIsSharedByTheFleet(t *testing.T) {
	redis := redistest.Start(t)
	cfg := redisstore.Config{URL: redis.URL(), Logger: discard(), Timeout: 300 * time.Millisecond}
	a, err := newStore(t, cfg).ReplayCache("")
	if err != nil {
		t.Fatal(err)
	}
	b, err := newStore(t, cfg).ReplayCache("")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if seen, err := a.Seen(ctx, "jkt:jti-1", time.Now().Add(time.Minute)); seen || err != nil {
		t.Fatalf("first use on replica a: seen %v, %v", seen, err)
	}
	if seen, err := b.Seen(ctx, "jkt:jti-1", time.Now().Add(time.Minute)); !seen || err != nil {
		t.Fatalf("replay on replica b: seen %v, %v; want seen", seen, err)
	}
	if seen, _ := b.Seen(ctx, "jkt:jti-2", time.Now().Add(time.Minute)); seen {
		t.Fatal("another proof counted as a replay")
	}

	c := redis.Client()
	defer c.Close()
	ttl, err := c.PTTL(ctx, redisstore.DefaultReplayPrefix+"jkt:jti-1").Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("the entry's expiry: %v %v, want within the proof's minute", ttl, err)
	}

	redis.Stop()
	if _, err := a.Seen(ctx, "jkt:jti-3", time.Now().Add(time.Minute)); err == nil {
		t.Fatal("Redis down: a proof was remembered nowhere yet not refused")
	}

	if _, err := newStore(
		t,
		redisstore.Config{URL: redis.URL(), Logger: discard()},
	).ReplayCache(redisstore.DefaultKeyPrefix + "dpop:"); err == nil {
		t.Fatal("a replay prefix under the revocations' prefix was accepted")
	}
}
