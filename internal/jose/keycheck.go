package jose

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"math/big"
)

// maxRSABits is the largest RSA modulus accepted from a JWKS: larger keys
// only make every signature check slower.
const maxRSABits = 16384

// smallPrimeBound: an RSA modulus sharing a factor with any prime below it
// is refused.
const smallPrimeBound = 1 << 12

// KeyChecks judges public keys. It holds what the checks compute once per
// key set rather than once per key; the zero value is ready to use.
type KeyChecks struct {
	smallPrimes *big.Int // the product of the primes below smallPrimeBound, once needed
}

// Check returns why key must never verify a signature, or "" when it may.
// It catches keys that are weak or degenerate as published, cheaply,
// once per key set rather than once per token: an Ed25519 key that is a
// small-order point verifies crafted signatures on any message; an EC point
// off its curve invites invalid-curve attacks; an RSA modulus with a small
// factor can be factored by anyone, and an even or trivial exponent is no
// RSA at all. The reasons are fixed phrases, safe to show to a client.
func (c *KeyChecks) Check(key any) string {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return c.checkRSA(k)
	case *ecdsa.PublicKey:
		// Bytes fails unless the point is on the curve, in range, and not
		// the identity.
		if k.Curve == nil || k.X == nil || k.Y == nil {
			return "the EC key is incomplete"
		}
		if _, err := k.Bytes(); err != nil {
			return "the EC key is not a valid point on its curve"
		}
	case ed25519.PublicKey:
		switch {
		case len(k) != ed25519.PublicKeySize:
			return "the Ed25519 key has the wrong size"
		case smallOrderEd25519(k):
			return "the Ed25519 key is a small-order point"
		case nonCanonicalEd25519(k):
			return "the Ed25519 key is not canonically encoded"
		}
	}
	return ""
}

func (c *KeyChecks) checkRSA(k *rsa.PublicKey) string {
	switch {
	case k.N == nil || k.N.Sign() <= 0:
		return "the RSA key has no modulus"
	case k.N.BitLen() < MinRSABits:
		return fmt.Sprintf("RSA key under %d bits", MinRSABits)
	case k.N.BitLen() > maxRSABits:
		return fmt.Sprintf("RSA key over %d bits", maxRSABits)
	case k.N.Bit(0) == 0:
		return "the RSA modulus is even"
	case new(big.Int).GCD(nil, nil, k.N, c.smallPrimeProduct()).Cmp(big.NewInt(1)) != 0:
		return "the RSA modulus has a small prime factor"
	case k.E <= 1:
		return "the RSA exponent is 1 or less"
	case k.E%2 == 0:
		return "the RSA exponent is even"
	}
	return ""
}

// smallPrimeProduct is the product of the primes below smallPrimeBound,
// computed on first use (tens of microseconds) so that the package keeps no
// state.
func (c *KeyChecks) smallPrimeProduct() *big.Int {
	if c.smallPrimes != nil {
		return c.smallPrimes
	}
	var composite [smallPrimeBound]bool
	p := big.NewInt(1)
	var f big.Int
	for i := 2; i < smallPrimeBound; i++ {
		if composite[i] {
			continue
		}
		p.Mul(p, f.SetInt64(int64(i)))
		for j := i * i; j < smallPrimeBound; j += i {
			composite[j] = true
		}
	}
	c.smallPrimes = p
	return p
}

// smallOrderEd25519 reports whether pub encodes one of the eight points of
// small order (the identity, the point of order 2, two of order 4, four of
// order 8), canonically or not. Under such a key, a signature whose R is a
// small-order point and whose S is 0 verifies for a share of all messages
// (for the identity: for every message), so the key proves nothing.
//
// The comparison ignores the sign bit of x, so each entry covers both
// signs; y = p and y = p+1 are the non-canonical encodings of y = 0 and
// y = 1. This is libsodium's blocklist.
func smallOrderEd25519(pub []byte) bool {
	var y [ed25519.PublicKeySize]byte
	copy(y[:], pub)
	y[31] &= 0x7f
	switch hex.EncodeToString(y[:]) {
	case "0100000000000000000000000000000000000000000000000000000000000000", // y = 1: the identity
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p-1: order 2
		"0000000000000000000000000000000000000000000000000000000000000000", // y = 0: order 4
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p: 0, not canonical
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f": // y = p+1: 1, not canonical
		return true
	}
	return false
}

// nonCanonicalEd25519 reports whether pub's y coordinate is not reduced
// modulo p = 2^255-19 (little-endian y >= p). RFC 8032 section 5.1.3 says
// to reject such encodings; Go's verifier accepts them.
func nonCanonicalEd25519(pub []byte) bool {
	if pub[31]&0x7f != 0x7f || pub[0] < 0xed {
		return false
	}
	for _, b := range pub[1:31] {
		if b != 0xff {
			return false
		}
	}
	return true
}
