package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"math/big"
	"slices"
)

// MinRSABits is the smallest RSA modulus accepted from a JWKS.
const MinRSABits = 2048

// family is how a JWS algorithm signs (RFC 7518 §3): the arithmetic is the
// standard library's, and each family is a direct call to it.
type family uint8

const (
	rsaPKCS1 family = iota + 1 // RS*: RSASSA-PKCS1-v1_5
	rsaPSS                     // PS*: RSASSA-PSS, salt of any length
	ecdsaRaw                   // ES*: ECDSA, R and S as fixed-size big-endian
	eddsa                      // EdDSA: Ed25519 over the signing input itself
)

// Algorithm ties a JWS alg to how its signatures are checked and to the
// only kind of public key it may be used with. Keeping this pairing
// explicit is what stops key-confusion attacks: an RSA key never checks an
// ES256 or HS256 signature, whatever the token's header claims.
type Algorithm struct {
	family family
	hash   crypto.Hash // the digest signed (all but EdDSA)
	size   int         // ES*: bytes of R and of S
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
	"RS256": {rsaPKCS1, crypto.SHA256, 0, rsaKey},
	"RS384": {rsaPKCS1, crypto.SHA384, 0, rsaKey},
	"RS512": {rsaPKCS1, crypto.SHA512, 0, rsaKey},
	"PS256": {rsaPSS, crypto.SHA256, 0, rsaKey},
	"PS384": {rsaPSS, crypto.SHA384, 0, rsaKey},
	"PS512": {rsaPSS, crypto.SHA512, 0, rsaKey},
	"ES256": {ecdsaRaw, crypto.SHA256, 32, ecKey(elliptic.P256())},
	"ES384": {ecdsaRaw, crypto.SHA384, 48, ecKey(elliptic.P384())},
	"ES512": {ecdsaRaw, crypto.SHA512, 66, ecKey(elliptic.P521())},
	"EdDSA": {eddsa, 0, 0, edKey},
}

// LookupAlgorithm returns the algorithm called alg, if this library
// verifies it.
func LookupAlgorithm(alg string) (Algorithm, bool) {
	a, ok := algorithms[alg]
	return a, ok
}

// errBadSignature is every failed signature check: the key of the wrong
// kind, a signature of the wrong size or that does not verify.
var errBadSignature = errors.New("the signature is invalid")

// Verify checks sig over signingInput with key, which must fit the
// algorithm (see Fits). It calls the standard library directly, hashing on
// the stack, so that it allocates nothing beyond what that arithmetic
// allocates: it runs on every token that is not in the cache.
func (a Algorithm) Verify(signingInput string, sig []byte, key any) error {
	var ok bool
	switch a.family {
	case rsaPKCS1:
		if k, isRSA := key.(*rsa.PublicKey); isRSA {
			var buf [sha512.Size]byte
			ok = rsa.VerifyPKCS1v15(k, a.hash, a.digest(signingInput, &buf), sig) == nil
		}
	case rsaPSS:
		if k, isRSA := key.(*rsa.PublicKey); isRSA {
			// RFC 7518 §3.5 leaves the salt's length to the signer. The
			// digest goes to the heap: the PSS check keeps it.
			var buf [sha512.Size]byte
			opts := rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}
			ok = rsa.VerifyPSS(k, a.hash, a.digest(signingInput, &buf), sig, &opts) == nil
		}
	case ecdsaRaw:
		k, isEC := key.(*ecdsa.PublicKey)
		if !isEC || len(sig) != 2*a.size {
			break
		}
		var buf [sha512.Size]byte
		r, s := new(big.Int).SetBytes(sig[:a.size]), new(big.Int).SetBytes(sig[a.size:])
		ok = ecdsa.Verify(k, a.digest(signingInput, &buf), r, s)
	case eddsa:
		k, isEd := key.(ed25519.PublicKey)
		ok = isEd && len(k) == ed25519.PublicKeySize && ed25519.Verify(k, readOnlyBytes(signingInput), sig)
	}
	if !ok {
		return errBadSignature
	}
	return nil
}

// digest hashes the signing input with the algorithm's hash into buf.
func (a Algorithm) digest(signingInput string, buf *[sha512.Size]byte) []byte {
	msg := readOnlyBytes(signingInput)
	switch a.hash {
	case crypto.SHA256:
		sum := sha256.Sum256(msg)
		return buf[:copy(buf[:], sum[:])]
	case crypto.SHA384:
		sum := sha512.Sum384(msg)
		return buf[:copy(buf[:], sum[:])]
	}
	*buf = sha512.Sum512(msg)
	return buf[:]
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
