package jose

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"slices"

	"github.com/golang-jwt/jwt/v5"
)

// MinRSABits is the smallest RSA modulus accepted from a JWKS.
const MinRSABits = 2048

// Algorithm ties a JWS alg to the golang-jwt method that checks it and to
// the only kind of public key it may be used with. Keeping this pairing
// explicit is what stops key-confusion attacks: an RSA key never checks an
// ES256 or HS256 signature, whatever the token's header claims.
type Algorithm struct {
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
var algorithms = map[string]Algorithm{
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

// LookupAlgorithm returns the algorithm called alg, if this library
// verifies it.
func LookupAlgorithm(alg string) (Algorithm, bool) {
	a, ok := algorithms[alg]
	return a, ok
}

// errNoMethod is the check of an Algorithm that LookupAlgorithm did not
// return (the zero value): it verifies nothing.
var errNoMethod = errors.New("no signature method for this algorithm")

// Verify checks sig over signingInput with key, which must fit the
// algorithm (see Fits): golang-jwt's implementation does the arithmetic.
// A key of another kind, a signature of the wrong size or one that does
// not verify is an error, never a panic.
//
// It calls golang-jwt's concrete methods, not its SigningMethod interface:
// none of them keeps sig, and the compiler can see that only through a
// direct call, so the caller's SignatureBuffer stays on its stack (through
// the interface it would move to the heap, an allocation per token).
func (a Algorithm) Verify(signingInput string, sig []byte, key any) error {
	switch m := a.method.(type) {
	case *jwt.SigningMethodRSA:
		return m.Verify(signingInput, sig, key)
	case *jwt.SigningMethodRSAPSS:
		return m.Verify(signingInput, sig, key)
	case *jwt.SigningMethodECDSA:
		return m.Verify(signingInput, sig, key)
	case *jwt.SigningMethodEd25519:
		return m.Verify(signingInput, sig, key)
	}
	return errNoMethod
}

// Fits reports whether a public key may check signatures made with alg:
// alg is known, the key is of the only kind alg may be used with, and
// keyAlg (the JWK's own alg, "" when it names none) does not say otherwise.
func Fits(alg, keyAlg string, key any) bool {
	a, ok := algorithms[alg]
	return ok && (keyAlg == "" || keyAlg == alg) && a.fits(key)
}

// AlgorithmNames lists the algorithms this library verifies, sorted.
func AlgorithmNames() []string {
	names := make([]string, 0, len(algorithms))
	for alg := range algorithms {
		names = append(names, alg)
	}
	slices.Sort(names)
	return names
}
