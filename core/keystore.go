package core

import (
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/MicahParks/jwkset"
)

// verificationKey is one key from the issuer's JWKS, checked once when the
// set arrives rather than on every request.
type verificationKey struct {
	kid    string
	alg    string // the JWK's alg, "" when the JWK names none
	key    any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	reject string // why the key may never verify anything, or ""
}

// keySnapshot is an immutable view of the usable key set. Requests read it
// through an atomic pointer, so the hot path takes no lock.
type keySnapshot struct {
	byKID  map[string]*verificationKey
	all    []*verificationKey
	usable int
}

func newKeySnapshot(jwks []jwkset.JWK) *keySnapshot {
	s := &keySnapshot{byKID: make(map[string]*verificationKey, len(jwks))}
	for _, j := range jwks {
		m := j.Marshal()
		k := &verificationKey{kid: m.KID, alg: m.ALG.String(), key: j.Key()}
		if pk, ok := k.key.(interface{ Public() crypto.PublicKey }); ok {
			k.key = pk.Public() // a JWKS that leaks private parts still only verifies
		}
		switch key := k.key.(type) {
		case []byte:
			k.reject = "a symmetric key from a JWKS can never verify a token"
			k.key = nil
		case *rsa.PublicKey:
			if key.N.BitLen() < MinRSABits {
				k.reject = fmt.Sprintf("RSA key under %d bits", MinRSABits)
			}
		}
		if m.USE != "" && m.USE != jwkset.UseSig {
			k.reject = "the key is not for signatures"
		}
		if k.reject == "" && !k.fitsAny() {
			k.reject = "unsupported key type"
		}
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

// fits reports whether the key may check a signature made with alg.
func (k *verificationKey) fits(alg string) bool {
	a, ok := algorithms[alg]
	return ok && k.reject == "" && (k.alg == "" || k.alg == alg) && a.fits(k.key)
}

func (k *verificationKey) fitsAny() bool {
	for alg := range algorithms {
		if k.fits(alg) {
			return true
		}
	}
	return false
}

// guardedStore is the jwkset.Storage that keyfunc's HTTP refresh writes
// into. It differs from jwkset's memory store in one way that matters: a
// refresh that brings no usable key ({"keys":[]}, only unknown key types,
// only rejected keys) is refused instead of wiping the cached keys. An issuer
// that briefly serves an empty set must not log every user out.
type guardedStore struct {
	*jwkset.MemoryJWKSet
	snapshot atomic.Pointer[keySnapshot]
}

var errNoUsableKeys = errors.New("identsphere: the JWKS holds no usable signing key; keeping the cached keys")

func newGuardedStore() *guardedStore {
	return &guardedStore{MemoryJWKSet: jwkset.NewMemoryStorage()}
}

// KeyReplaceAll implements jwkset.Storage.
func (g *guardedStore) KeyReplaceAll(ctx context.Context, given []jwkset.JWK) error {
	snap := newKeySnapshot(given)
	if snap.usable == 0 {
		return errNoUsableKeys
	}
	if err := g.MemoryJWKSet.KeyReplaceAll(ctx, given); err != nil {
		return err
	}
	g.snapshot.Store(snap)
	return nil
}
