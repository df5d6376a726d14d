package core

import (
	"strconv"
	"testing"
	"time"
)

func TestTokenCacheIsBounded(t *testing.T) {
	c := newTokenCache(cacheShards * 2)
	now := time.Now()
	for i := range 10_000 {
		d := tokenDigest("token-" + strconv.Itoa(i))
		c.put(&d, &cacheEntry{claims: &Claims{}, expires: now.Add(time.Hour)}, now)
	}
	total := 0
	for i := range c.shards {
		if m := c.shards[i].m.Load(); m != nil {
			if len(*m) > c.perShard {
				t.Fatalf("shard %d holds %d entries, cap %d", i, len(*m), c.perShard)
			}
			total += len(*m)
		}
	}
	if total > cacheShards*2 {
		t.Fatalf("%d entries cached, cap %d", total, cacheShards*2)
	}

	// Expired entries make room first.
	d := tokenDigest("fresh")
	c.put(&d, &cacheEntry{claims: &Claims{}, expires: now.Add(time.Hour)}, now.Add(2*time.Hour))
	if m := c.shard(&d).m.Load(); len(*m) != 1 {
		t.Fatalf("expired entries were kept: %d in the shard", len(*m))
	}
}
