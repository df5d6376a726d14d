package core

import (
	"crypto"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// DefaultCacheSize is how many verified tokens are remembered by default:
// about 1 KiB each, so a few MiB in all.
const DefaultCacheSize = 4096

const cacheShards = 256

// tokenCache remembers tokens that verified, by the SHA-256 of the whole
// token string, until they expire. A hit skips parsing and the signature
// check, the expensive part, but re-checks everything that can change after
// a token was verified: the clock, and that its key is still published with
// the same material (a key removed at rotation ends its tokens at once).
// Application rules run on every request either way.
//
// Failures are never cached: a junk token costs little to refuse, and
// caching refusals would let a flood of junk tokens fill memory and evict
// the valid ones.
//
// Reads take no lock: each shard is an immutable map behind an atomic
// pointer, replaced whole on insert. Inserts are rare (once per valid token
// per cache lifetime) and shards small, so the copy is cheap, and one hot
// token read from every core contends on nothing.
type tokenCache struct {
	shards   [cacheShards]cacheShard
	perShard int
}

type cacheShard struct {
	mu sync.Mutex // serialises writers only
	m  atomic.Pointer[map[[32]byte]*cacheEntry]
}

// cacheEntry is immutable except for checked, a memo of the last key set
// the entry was found valid against.
type cacheEntry struct {
	claims  *Claims
	iss     *issuer   // whose key checked the signature
	expires time.Time // exp + leeway
	alg     string
	kid     string
	hasKID  bool
	key     any
	checked atomic.Pointer[keySnapshot]
}

func newTokenCache(size int) *tokenCache {
	return &tokenCache{perShard: max(1, (size+cacheShards-1)/cacheShards)}
}

func tokenDigest(token string) [32]byte {
	// Hash the string's bytes in place: they are only read, and a copy of a
	// 1 KiB token on every request is the one allocation a hit would have.
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
}

func (c *tokenCache) shard(d *[32]byte) *cacheShard { return &c.shards[d[0]] }

// get returns the entry of a token that is still good at now under its
// issuer's current key set.
func (c *tokenCache) get(d *[32]byte, now time.Time) (*cacheEntry, bool) {
	m := c.shard(d).m.Load()
	if m == nil {
		return nil, false
	}
	e, ok := (*m)[*d]
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	if snap := e.iss.keys.store.snapshot.Load(); e.checked.Load() != snap {
		if !e.keyStillPublished(snap) {
			return nil, false
		}
		e.checked.Store(snap)
	}
	return e, true
}

// keyStillPublished reports whether snap still holds the key that checked
// the token's signature, under the same kid and with the same material.
func (e *cacheEntry) keyStillPublished(snap *keySnapshot) bool {
	var k *verificationKey
	if e.hasKID {
		k, _ = snap.find(e.kid, e.alg)
	} else {
		k, _ = snap.onlyKeyFor(e.alg)
	}
	if k == nil {
		return false
	}
	eq, ok := k.key.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(e.key)
}

// put stores e and returns how many still-valid entries it dropped to make
// room.
func (c *tokenCache) put(d *[32]byte, e *cacheEntry, now time.Time) (evicted int) {
	s := c.shard(d)
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.m.Load()
	next := make(map[[32]byte]*cacheEntry, c.perShard)
	if old != nil {
		for k, v := range *old {
			if now.Before(v.expires) {
				next[k] = v
			}
		}
	}
	for k := range next { // still full: drop arbitrary entries
		if len(next) < c.perShard {
			break
		}
		delete(next, k)
		evicted++
	}
	next[*d] = e
	s.m.Store(&next)
	return evicted
}

// len counts the cached entries, expired ones included until replaced.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		if m := c.shards[i].m.Load(); m != nil {
			n += len(*m)
		}
	}
	return n
}
