package core

import (
	"errors"
	"slices"
	"sync/atomic"

	"github.com/identsphere/identsphere-go/internal/jose"
)

// verificationKey is one key from the issuer's JWKS, checked once when the
// set arrives rather than on every request.
type verificationKey struct {
	kid    string
	alg    string // the JWK's alg, "" when the JWK names none
	key    any    // *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey; nil if refused unparsed
	reject string // why the key may never verify anything, or "": a fixed phrase, shown to clients
}

// keySnapshot is an immutable view of the key set, usable and refused keys
// alike. Requests read it
// through an atomic pointer, so the hot path takes no lock.
type keySnapshot struct {
	byKID  map[string]*verificationKey
	all    []*verificationKey
	usable int
}

// newKeySnapshot indexes a parsed key set. Refused keys are kept, under
// their kid, so that a token naming one is answered with the reason at
// once rather than sent to refresh the set. It keeps copies of the keys,
// not the parsed set around them.
func newKeySnapshot(keys []jose.Key) *keySnapshot {
	s := &keySnapshot{byKID: make(map[string]*verificationKey, len(keys)), all: make([]*verificationKey, 0, len(keys))}
	own := make([]verificationKey, len(keys))
	for i := range keys {
		own[i] = newVerificationKey(&keys[i])
		k := &own[i]
		if k.reject == "" {
			s.usable++
		}
		if _, dup := s.byKID[k.kid]; !dup {
			s.byKID[k.kid] = k
		}
		s.all = append(s.all, k)
	}
	return s
}

// newVerificationKey keeps what verifying needs of a key read by
// internal/jose.
func newVerificationKey(k *jose.Key) verificationKey {
	return verificationKey{kid: k.KID, alg: k.Alg, key: k.Public, reject: k.Reject}
}

// fits reports whether the key may check a signature made with alg.
func (k *verificationKey) fits(alg string) bool {
	return k.reject == "" && jose.Fits(alg, k.alg, k.key)
}

// guardedStore holds the snapshot requests read. It refuses a key set
// that brings no usable key ({"keys":[]}, only unknown key types, only
// refused keys) instead of wiping the cached keys: an issuer that briefly
// serves an empty set must not log every user out.
type guardedStore struct {
	snapshot atomic.Pointer[keySnapshot]
}

var errNoUsableKeys = errors.New("identsphere: the JWKS holds no usable signing key; keeping the cached keys")

func newGuardedStore() *guardedStore { return &guardedStore{} }

// replace installs a parsed key set, unless it holds no usable key.
func (g *guardedStore) replace(keys []jose.Key) error {
	snap := newKeySnapshot(keys)
	if snap.usable == 0 {
		return errNoUsableKeys
	}
	g.snapshot.Store(snap)
	return nil
}

// diff returns the usable kids of next that s lacks (added) and those of s
// that next lacks (removed), each sorted.
func (s *keySnapshot) diff(next *keySnapshot) (added, removed []string) {
	have, want := s.usableKIDs(), next.usableKIDs()
	for kid := range want {
		if !have[kid] {
			added = append(added, kid)
		}
	}
	for kid := range have {
		if !want[kid] {
			removed = append(removed, kid)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return added, removed
}

func (s *keySnapshot) usableKIDs() map[string]bool {
	m := map[string]bool{}
	if s == nil {
		return m
	}
	for _, k := range s.all {
		if k.reject == "" {
			m[k.kid] = true
		}
	}
	return m
}

// describe lists the usable kids and the algorithms they fit, sorted.
func (s *keySnapshot) describe() (kids, algs []string) {
	if s == nil {
		return nil, nil
	}
	seen := map[string]bool{}
	for _, k := range s.all {
		if k.reject != "" {
			continue
		}
		kids = append(kids, k.kid)
		for _, alg := range jose.AlgorithmNames() {
			if k.fits(alg) && !seen[alg] {
				seen[alg] = true
				algs = append(algs, alg)
			}
		}
	}
	slices.Sort(kids)
	slices.Sort(algs)
	return kids, algs
}
