package authtest

import (
	"crypto"
	"fmt"
)

// AddKey publishes key under kid, for key-rotation tests; the default signing
// key does not change (see UseKey). Adding a kid that already exists replaces
// its key material and publishes it again, which models an issuer reusing a
// kid. An empty kid or an unsupported key type panics, as with WithKey.
func (i *Issuer) AddKey(kid string, key crypto.Signer) {
	k := mustSigningKey("AddKey", kid, key)
	i.mu.Lock()
	defer i.mu.Unlock()
	if _, exists := i.keys[kid]; !exists {
		i.order = append(i.order, kid)
	}
	i.keys[kid] = k
	i.published[kid] = true
}

// RemoveKey stops publishing kid. The key can still sign (SignWith, or by
// default if it is the current signing key), so tests can mint tokens that a
// relying party must reject after a revocation. Removing an unknown or
// already removed kid does nothing.
func (i *Issuer) RemoveKey(kid string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	delete(i.published, kid)
}

// UseKey makes kid the default signing key, completing a rotation started
// with AddKey. The key need not be published. An unknown kid panics: it can
// only be a typo in the test.
func (i *Issuer) UseKey(kid string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if _, ok := i.keys[kid]; !ok {
		panic(fmt.Sprintf("authtest: UseKey(%q): no such key", kid))
	}
	i.defaultKID = kid
}

// key returns the signing key kid, published or not; "" means the default.
func (i *Issuer) key(kid string) (*signingKey, bool) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	if kid == "" {
		kid = i.defaultKID
	}
	k, ok := i.keys[kid]
	return k, ok
}

// publishedKeys returns the published keys in JWKS order.
func (i *Issuer) publishedKeys() []*signingKey {
	i.mu.RLock()
	defer i.mu.RUnlock()
	keys := make([]*signingKey, 0, len(i.published))
	for _, kid := range i.order {
		if i.published[kid] {
			keys = append(keys, i.keys[kid])
		}
	}
	return keys
}
