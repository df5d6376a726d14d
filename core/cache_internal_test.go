package core

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

func TestTokenCacheIsBounded(t *testing.T) {
	c := newTokenCache(cacheShards * 2)
	now := time.Now()
	for i := range 10_000 {
		token := "token-" + strconv.Itoa(i)
		c.put(c.hash(token), &cacheEntry{token: token, claims: &Claims{}, expires: now.Add(time.Hour)}, now)
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
	h := c.hash("fresh")
	c.put(h, &cacheEntry{token: "fresh", claims: &Claims{}, expires: now.Add(time.Hour)}, now.Add(2*time.Hour))
	if m := c.shard(h).m.Load(); len(*m) != 1 {
		t.Fatalf("expired entries were kept: %d in the shard", len(*m))
	}
}

// An entry answers only the token it holds: another token landing on the
// same hash (a collision) is a miss, never that entry's claims.
func TestTokenCacheAnswersOnlyTheTokenItHolds(t *testing.T) {
	c := newTokenCache(cacheShards)
	now := time.Now()
	h := c.hash("token-b")
	c.put(h, &cacheEntry{token: "token-a", claims: &Claims{Subject: "a"}, expires: now.Add(time.Hour)}, now)
	if e, ok := c.get(h, "token-b", now); ok {
		t.Fatalf("token-b was answered by token-a's entry (subject %q)", e.claims.Subject)
	}
}

// The cache keeps its own copy of a token, not the request header (a
// Cookie header with every other cookie in it) the token is a slice of.
func TestTokenCacheKeepsItsOwnCopyOfTheToken(t *testing.T) {
	c := newTokenCache(cacheShards)
	now := time.Now()
	header := "other=1; identsphere_at=token-a; more=2"
	i := strings.Index(header, "token-a")
	token := header[i : i+len("token-a")]
	e := &cacheEntry{token: token, claims: &Claims{}, expires: now.Add(time.Hour)}
	c.put(c.hash(token), e, now)
	h := c.hash("token-a")
	if got := (*c.shard(h).m.Load())[h]; got != e || got.token != "token-a" {
		t.Fatalf("the entry is not stored under its token: %+v", got)
	}
	if unsafe.StringData(e.token) == unsafe.StringData(token) {
		t.Fatal("the entry shares the request header's memory")
	}
}
