package core

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// MinRSABits is the smallest RSA modulus accepted from a JWKS.
const MinRSABits = 2048

// algorithm ties a JWS alg to the golang-jwt method that checks it and to
// the only kind of public key it may be used with. Keeping this pairing
// explicit is what stops key-confusion attacks: an RSA key never checks an
// ES256 or HS256 signature, whatever the token's header claims.
type algorithm struct {
	method jwt.SigningMethod
	fits   func(key any) bool
}

func rsaKey(key any) bool {
	k, ok := key.(*rsa.PublicKey)
	return ok && k.N.BitLen() >= MinRSABits
}

func ecKey(curve elliptic.Curve) func(any) bool {
	return func(key any) bool {
		k, ok := key.(*ecdsa.PublicKey)
		return ok && k.Curve == curve
	}
}

func edKey(key any) bool {
	_, ok := key.(ed25519.PublicKey)
	return ok
}

// algorithms is every asymmetric alg this library verifies. "none" and the
// HS* family are absent on purpose: a public JWKS can never hold a secret
// that should verify a token.
var algorithms = map[string]algorithm{
	"RS256": {jwt.SigningMethodRS256, rsaKey},
	"RS384": {jwt.SigningMethodRS384, rsaKey},
	"RS512": {jwt.SigningMethodRS512, rsaKey},
	"PS256": {jwt.SigningMethodPS256, rsaKey},
	"PS384": {jwt.SigningMethodPS384, rsaKey},
	"PS512": {jwt.SigningMethodPS512, rsaKey},
	"ES256": {jwt.SigningMethodES256, ecKey(elliptic.P256())},
	"ES384": {jwt.SigningMethodES384, ecKey(elliptic.P384())},
	"ES512": {jwt.SigningMethodES512, ecKey(elliptic.P521())},
	"EdDSA": {jwt.SigningMethodEdDSA, edKey},
}

// checkAlgorithms validates a configured allow-list.
func checkAlgorithms(algs []string) error {
	for _, a := range algs {
		if _, ok := algorithms[a]; !ok {
			return fmt.Errorf("identsphere: algorithm %q is not allowed (only asymmetric JWS algorithms are: none and HS* can never be verified with a public JWKS)", a)
		}
	}
	return nil
}
