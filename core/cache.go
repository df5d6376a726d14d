package core

import (
	"crypto"
	"crypto/sha256"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// DefaultCacheSize is how many verified tokens are remembered by default:
// about 2 KiB each (the token and its claims), so under 10 MiB in all.
const DefaultCacheSize = 4096

const cacheShards = 256

// tokenCache remembers tokens that verified, by the whole token string,
// until they expire. A hit skips parsing and the signature
// check, the expensive part, but re-checks everything that can change after
// a token was verified: the clock, and that its key is still published with
// the same material (a key removed at rotation ends its tokens at once).
// Application rules run on every request either way.
//
// Failures are never cached: a junk token costs little to refuse, and
// caching refusals would let a flood of junk tokens fill memory and evict
// the valid ones.
//
// An entry is found by a seeded, non-cryptographic hash of the token and
// answers only a token equal to the one it holds, byte for byte. A lookup
// costs one pass of a hash several times faster than SHA-256 and one
// comparison, and no token can pass for another: a collision, which an
// attacker cannot aim for without the per-cache seed, is only a miss.
//
// Reads take no lock: each shard is an immutable map behind an atomic
// pointer, replaced whole on insert. Inserts are rare (once per valid token
// per cache lifetime) and shards small, so the copy is cheap, and one hot
// token read from every core contends on nothing.
type tokenCache struct {
	shards   [cacheShards]cacheShard
	perShard int
	seed     maphash.Seed
}

type cacheShard struct {
	mu sync.Mutex // serialises writers only
	m  atomic.Pointer[map[uint64]*cacheEntry]
}

// cacheEntry is immutable except for checked, a memo of the last key set
// the entry was found valid against.
type cacheEntry struct {
	token   string // the whole token, its own copy
	claims  *Claims
	iss     *issuer   // whose key checked the signature
	expires time.Time // exp + leeway
	alg     string
	kid     string
	hasKID  bool
	key     any
	ath     string // accessTokenHash of a DPoP-bound token, "" for others
	checked atomic.Pointer[keySnapshot]
}

func newTokenCache(size int) *tokenCache {
	return &tokenCache{perShard: max(1, (size+cacheShards-1)/cacheShards), seed: maphash.MakeSeed()}
}

// tokenDigest is the SHA-256 of a token, the key of the introspection
// answer caches.
func tokenDigest(token string) [32]byte {
	// Hash the string's bytes in place: they are only read, and a copy of a
	// 1 KiB token on every request is the one allocation a hit would have.
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
}

// hash is where token is looked up in c.
func (c *tokenCache) hash(token string) uint64 { return maphash.String(c.seed, token) }

func (c *tokenCache) shard(h uint64) *cacheShard { return &c.shards[h>>56] }

// get returns the entry of token, whose hash is h, if it is still good at
// now under its issuer's current key set.
func (c *tokenCache) get(h uint64, token string, now time.Time) (*cacheEntry, bool) {
	m := c.shard(h).m.Load()
	if m == nil {
		return nil, false
	}
	e, ok := (*m)[h]
	if !ok || e.token != token || !now.Before(e.expires) {
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

// put stores e, the entry of the token whose hash is h, and returns how
// many still-valid entries it dropped to make room. The entry keeps its own
// copy of the token, not the request header it may be a slice of.
func (c *tokenCache) put(h uint64, e *cacheEntry, now time.Time) (evicted int) {
	e.token = strings.Clone(e.token)
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.m.Load()
	next := make(map[uint64]*cacheEntry, c.perShard)
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
	next[h] = e
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
