package core

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"math/bits"
	"strconv"

	"github.com/identsphere/identsphere-go/internal/jose"
)

// The limits of a DPoP proof's key. An issuer's keys are few and chosen by
// the issuer; a proof's key is chosen by each client, and its signature is
// checked on every request. Without limits of its own, a client with a
// token bound to an RSA-16384 key with the exponent 2^31-1 makes each of
// its requests cost hundreds of ordinary signature checks, and a junk
// signature costs the same. So a proof key is judged before any signature
// work, first by the length of the encoded header that carries it, then by
// its JWK's raw members, before the JWK is parsed:
//
//   - RSA: a modulus of 2048 bits up to DPoPConfig.MaxProofRSABits (2048
//     by default, at most 4096) and the exponent 65537, the one every
//     current library generates;
//   - EC: the curves P-256, P-384 and P-521, each coordinate of its
//     curve's size (the point is then checked to be on the curve);
//   - OKP: Ed25519, 32 bytes (small-order points are refused once parsed);
//
// and anything else is an invalid proof whose description names the limit.
// Refusing costs a few comparisons and at most a 1,536-character header's
// decoding and scan, whatever the client sends.
const (
	maxProofRSABits  = 4096
	proofRSAExponent = "AQAB" // 65537, base64url, in the minimal encoding RFC 7518 requires
	// maxProofHeaderLength caps a proof's encoded header before it is
	// decoded: one with an RSA-4096 key and the usual optional members
	// (kid, use, alg) takes about 1,100 characters.
	maxProofHeaderLength = 1536
)

// The descriptions of proof keys outside the limits: each names its limit.
const (
	proofHeaderTooLarge = "the DPoP proof header is over 1536 characters: its key is over the limits"
	proofKeyRSAExponent = "the DPoP proof's RSA key must have the exponent 65537"
	proofKeyECCurve     = "the DPoP proof's EC key must be on P-256, P-384 " +
		"or P-521 with coordinates of its curve's size"
	proofKeyOKPCurve = "the DPoP proof's OKP key must be a 32-byte Ed25519 key"
	proofKeyType     = "the DPoP proof's jwk is not an asymmetric public key"
)

// proofCurveCoordinate is the base64url length of a coordinate of each
// curve an EC proof key may use.
var proofCurveCoordinate = map[string]int{
	"P-256": base64.RawURLEncoding.EncodedLen(32),
	"P-384": base64.RawURLEncoding.EncodedLen(48),
	"P-521": base64.RawURLEncoding.EncodedLen(66),
}

// proofKeyLimits are one dpopChecker's limits.
type proofKeyLimits struct {
	maxRSABits int
	rsaSize    string // the description of an RSA key of another size
}

func newProofKeyLimits(maxRSABits int) (proofKeyLimits, error) {
	if maxRSABits == 0 {
		maxRSABits = MinRSABits
	}
	if maxRSABits < MinRSABits || maxRSABits > maxProofRSABits {
		return proofKeyLimits{}, fmt.Errorf(
			"identsphere: DPoPConfig.MaxProofRSABits must be %d to %d, not %d",
			MinRSABits,
			maxProofRSABits,
			maxRSABits,
		)
	}
	l := proofKeyLimits{maxRSABits: maxRSABits, rsaSize: "the DPoP proof's RSA key must have 2048 bits"}
	if maxRSABits > MinRSABits {
		l.rsaSize = "the DPoP proof's RSA key must have 2048 to " + strconv.Itoa(maxRSABits) + " bits"
	}
	return l, nil
}

// raw returns the description of the limit k's raw members break, or ""
// when k is within them. Its cost does not grow with k: an RSA modulus
// longer than any within the limits is refused by its encoded length.
func (l *proofKeyLimits) raw(k jose.ProofJWK) string {
	switch string(k.Kty) {
	case "RSA":
		if string(k.E) != proofRSAExponent {
			return proofKeyRSAExponent
		}
		if n := rsaModulusBits(k.N); n < MinRSABits || n > l.maxRSABits {
			return l.rsaSize
		}
	case "EC":
		size, ok := proofCurveCoordinate[string(k.Crv)]
		if !ok || len(k.X) != size || len(k.Y) != size {
			return proofKeyECCurve
		}
	case "OKP":
		if string(k.Crv) != "Ed25519" || len(k.X) != base64.RawURLEncoding.EncodedLen(ed25519.PublicKeySize) {
			return proofKeyOKPCurve
		}
	default:
		return proofKeyType
	}
	return ""
}

// rsaModulusBits is the bit length of a base64url modulus, ignoring
// leading zero bytes; 0 when it is not base64url, and maxProofRSABits+1
// without decoding anything when it is too long to be within the limits
// (one leading zero byte, which some libraries add, is allowed for).
func rsaModulusBits(n []byte) int {
	if len(n) > base64.RawURLEncoding.EncodedLen(maxProofRSABits/8+1) {
		return maxProofRSABits + 1
	}
	var buf [maxProofRSABits/8 + 1]byte
	m, err := base64.RawURLEncoding.Strict().Decode(buf[:], n)
	if err != nil {
		return 0
	}
	for i, c := range buf[:m] {
		if c != 0 {
			return (m-i-1)*8 + bits.Len8(c)
		}
	}
	return 0
}

// parsed checks a parsed proof key against the same limits, so that no key
// that slipped past the raw checks (a parser reading the JWK otherwise)
// verifies a proof.
func (l *proofKeyLimits) parsed(key any) string {
	switch k := key.(type) {
	case *rsa.PublicKey:
		switch {
		case k.E != 65537:
			return proofKeyRSAExponent
		case k.N.BitLen() < MinRSABits || k.N.BitLen() > l.maxRSABits:
			return l.rsaSize
		}
	case *ecdsa.PublicKey:
		if _, ok := proofCurveCoordinate[k.Curve.Params().Name]; !ok {
			return proofKeyECCurve
		}
	case ed25519.PublicKey:
	default:
		return proofKeyType
	}
	return ""
}
