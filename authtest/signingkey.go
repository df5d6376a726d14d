package authtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
)

// signingKey is one key an Issuer can sign with. It is immutable once built,
// so it can be used outside the Issuer's lock.
type signingKey struct {
	kid    string
	alg    string
	signer any              // the private key, typed as golang-jwt expects it
	public crypto.PublicKey // for the refresh endpoint's own verification
	jwk    jwk              // public half, as published
}

// newSigningKey checks that key is a type golang-jwt can sign with and
// precomputes its public JWK.
func newSigningKey(kid string, key crypto.Signer) (*signingKey, error) {
	if kid == "" {
		return nil, errors.New("the kid must not be empty")
	}
	signer, alg, err := signingParams(key)
	if err != nil {
		return nil, err
	}
	pub := key.Public()
	j, err := publicJWK(kid, alg, pub)
	if err != nil {
		return nil, err
	}
	return &signingKey{kid: kid, alg: alg, signer: signer, public: pub, jwk: j}, nil
}

// mustSigningKey is newSigningKey for callers without an error return, where
// a bad key can only be a mistake in the test that passed it.
func mustSigningKey(caller, kid string, key crypto.Signer) *signingKey {
	k, err := newSigningKey(kid, key)
	if err != nil {
		panic(fmt.Sprintf("authtest: %s(%q): %v", caller, kid, err))
	}
	return k
}

// signingParams returns the key in the form golang-jwt signs with and the
// JWS algorithm conventionally used with it.
func signingParams(key crypto.Signer) (any, string, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, "RS256", nil
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			return k, "ES256", nil
		case elliptic.P384():
			return k, "ES384", nil
		case elliptic.P521():
			return k, "ES512", nil
		}
		return nil, "", fmt.Errorf("unsupported ECDSA curve %s", k.Curve.Params().Name)
	case ed25519.PrivateKey:
		return k, "EdDSA", nil
	case nil:
		return nil, "", errors.New("the key is nil")
	}
	return nil, "", fmt.Errorf(
		"unsupported key type %T (want *rsa.PrivateKey, *ecdsa.PrivateKey or ed25519.PrivateKey)",
		key,
	)
}
