package core_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// rsaProofKey is k as a DPoP client's key signing alg.
func rsaProofKey(k *rsa.PrivateKey, alg string) *proofKey {
	return &proofKey{signer: k, alg: alg, jwk: map[string]any{
		"kty": "RSA", "n": b64u.EncodeToString(k.N.Bytes()), "e": b64u.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
	}}
}

// ecProofKey is k as a DPoP client's key signing alg.
func ecProofKey(k *ecdsa.PrivateKey, alg string) *proofKey {
	size := (k.Curve.Params().BitSize + 7) / 8
	return &proofKey{signer: k, alg: alg, jwk: map[string]any{
		"kty": "EC", "crv": k.Curve.Params().Name,
		"x": b64u.EncodeToString(
			k.X.FillBytes(make([]byte, size)),
		), "y": b64u.EncodeToString(k.Y.FillBytes(make([]byte, size))),
	}}
}

// forgedProofKey names jwk in its proofs but signs them with signer: the
// key of a client that does not hold jwk's private half, or one whose
// private half no library would sign with.
func forgedProofKey(jwk map[string]any, signer crypto.Signer, alg string) *proofKey {
	return &proofKey{signer: signer, alg: alg, jwk: jwk}
}

// oversizedRSAJWK is the review's key: an RSA-16384 modulus with no prime
// factor under 4096 (so that no cheap check of the modulus refuses it)
// and the exponent 2^31-1. Verifying a signature under it costs hundreds
// of ordinary checks, whether the signature is valid or junk.
func oversizedRSAJWK(e string) map[string]any {
	var small big.Int
	small.SetInt64(1)
	var composite [4096]bool
	for i := 2; i < len(composite); i++ {
		if !composite[i] {
			small.Mul(&small, big.NewInt(int64(i)))
			for j := i * i; j < len(composite); j += i {
				composite[j] = true
			}
		}
	}
	n := new(big.Int).Lsh(big.NewInt(1), 16383)
	n.Add(n, big.NewInt(1))
	for one := big.NewInt(1); new(big.Int).GCD(nil, nil, n, &small).Cmp(one) != 0; {
		n.Add(n, big.NewInt(2))
	}
	return map[string]any{"kty": "RSA", "n": b64u.EncodeToString(n.Bytes()), "e": e}
}

// withJunkSignature replaces a proof's signature by size random bytes.
func withJunkSignature(proof string, size int) string {
	junk := make([]byte, size)
	_, _ = rand.Read(junk)
	return proof[:strings.LastIndexByte(proof, '.')+1] + b64u.EncodeToString(junk)
}

// A proof key has limits of its own, judged before any signature work:
// RSA of 2048 to 4096 bits with the exponent 65537, EC on P-256, P-384 or
// P-521 (the point on its curve), Ed25519 (not of small order). Anything
// else is an invalid proof whose description names the limit, even when
// its signature is junk that a verifier would spend long refusing.
func TestDPoPProofKeyLimits(t *testing.T) {
	e := newDPoPEnv(t, core.DPoPConfig{Mode: core.DPoPAllowed, MaxProofRSABits: 4096,
		Algorithms: []string{"ES256", "ES384", "ES512", "EdDSA", "RS256", "PS256", "RS512", "PS512"}})
	url := dpopBase + "/api/me"
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ed := testkeys.Ed25519()
	p256x := ecProofKey(testkeys.EC(), "ES256").jwk["x"].(string)
	identity := make([]byte, 32)
	identity[0] = 1
	const (
		size     = "must have 2048 to 4096 bits"
		exponent = "must have the exponent 65537"
		curve    = "must be on P-256, P-384 or P-521"
		okp      = "must be a 32-byte Ed25519 key"
	)
	cases := []struct {
		name    string
		key     *proofKey
		junkSig int    // when > 0, the proof's signature is replaced by this many random bytes
		refusal string // a phrase of the error_description; "" for an admitted proof
	}{
		{"RSA-2048 RS256", rsaProofKey(testkeys.RSA(), "RS256"), 0, ""},
		{"RSA-4096 RS512", rsaProofKey(testkeys.RSA4096(), "RS512"), 0, ""},
		{"RSA-4096 PS512", rsaProofKey(testkeys.RSA4096(), "PS512"), 0, ""},
		{"P-256", ecProofKey(testkeys.EC(), "ES256"), 0, ""},
		{"P-384", ecProofKey(testkeys.EC384(), "ES384"), 0, ""},
		{"P-521", ecProofKey(testkeys.EC521(), "ES512"), 0, ""},
		{
			"Ed25519",
			&proofKey{
				signer: ed,
				alg:    "EdDSA",
				jwk: map[string]any{
					"kty": "OKP",
					"crv": "Ed25519",
					"x":   b64u.EncodeToString(ed.Public().(ed25519.PublicKey)),
				},
			},
			0,
			"",
		},

		{"RSA-4160", rsaProofKey(testkeys.RSA4160(), "RS256"), 0, size},
		{"RSA-1024", rsaProofKey(testkeys.RSA1024(), "RS256"), 0, size},
		{"RSA-2048 with the exponent 3", rsaProofKey(testkeys.RSAExponent3(), "RS256"), 0, exponent},
		{
			"RSA-16384 with the exponent 2^31-1, junk signature",
			forgedProofKey(oversizedRSAJWK(b64u.EncodeToString(big.NewInt(1<<31-1).Bytes())), testkeys.RSA2(), "RS256"),
			2048,
			"over 1536 characters: its key is over the limits",
		},
		{
			"RSA-2048 with the exponent 2^31-1, junk signature",
			forgedProofKey(
				map[string]any{
					"kty": "RSA",
					"n":   rsaProofKey(testkeys.RSA2(), "").jwk["n"],
					"e":   b64u.EncodeToString(big.NewInt(1<<31 - 1).Bytes()),
				},
				testkeys.RSA2(),
				"RS256",
			),
			256,
			exponent,
		},
		{
			"RSA exponent 65537 with a leading zero byte",
			forgedProofKey(
				map[string]any{"kty": "RSA", "n": rsaProofKey(testkeys.RSA2(), "").jwk["n"], "e": "AAEAAQ"},
				testkeys.RSA2(),
				"RS256",
			),
			0,
			exponent,
		},
		{"P-224", forgedProofKey(ecProofKey(p224, "").jwk, testkeys.EC(), "ES256"), 0, curve},
		{
			"secp256k1",
			forgedProofKey(
				map[string]any{"kty": "EC", "crv": "secp256k1", "x": p256x, "y": p256x},
				testkeys.EC(),
				"ES256",
			),
			0,
			curve,
		},
		{
			"P-256 with a short x",
			forgedProofKey(
				map[string]any{"kty": "EC", "crv": "P-256", "x": p256x[:40], "y": p256x},
				testkeys.EC(),
				"ES256",
			),
			0,
			curve,
		},
		{
			"P-256 point off the curve",
			forgedProofKey(map[string]any{"kty": "EC", "crv": "P-256", "x": p256x, "y": p256x}, testkeys.EC(), "ES256"),
			0,
			"not acceptable",
		},
		{
			"X25519",
			forgedProofKey(
				map[string]any{
					"kty": "OKP",
					"crv": "X25519",
					"x":   b64u.EncodeToString(ed.Public().(ed25519.PublicKey)),
				},
				ed,
				"EdDSA",
			),
			0,
			okp,
		},
		{
			"Ed448",
			forgedProofKey(
				map[string]any{"kty": "OKP", "crv": "Ed448", "x": b64u.EncodeToString(make([]byte, 57))},
				ed,
				"EdDSA",
			),
			0,
			okp,
		},
		{
			"Ed25519 small-order point",
			forgedProofKey(
				map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64u.EncodeToString(identity)},
				ed,
				"EdDSA",
			),
			64,
			"small-order",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := e.boundToken(c.key)
			proof := c.key.proof(t, "GET", url, tok, nil, nil)
			if c.junkSig > 0 {
				proof = withJunkSignature(proof, c.junkSig)
			}
			w := e.send("GET", "/api/me", "DPoP", tok, proof)
			if c.refusal == "" {
				if w.Code != 200 {
					t.Fatalf("refused: %d %s", w.Code, w.Body)
				}
				return
			}
			var body map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 401 ||
				body["error"] != "invalid_dpop_proof" {
				t.Fatalf("answer %d %s, want 401 invalid_dpop_proof", w.Code, w.Body)
			}
			if !strings.Contains(body["error_description"], c.refusal) {
				t.Errorf("error_description %q, want it to say %q", body["error_description"], c.refusal)
			}
		})
	}
}

// By default a proof's RSA key has 2048 bits: larger ones cost every
// request several signature checks' worth (BenchmarkDPoPProofKeys).
// MaxProofRSABits raises the bound to at most 4096, never lowers it.
func TestDPoPProofRSABitsDefaultAndBounds(t *testing.T) {
	e := newDPoPEnv(t, core.DPoPConfig{Mode: core.DPoPAllowed})
	url := dpopBase + "/api/me"
	for _, c := range []struct {
		key    *proofKey
		status int
	}{{rsaProofKey(testkeys.RSA(), "RS256"), 200}, {rsaProofKey(testkeys.RSA4096(), "RS256"), 401}} {
		tok := e.boundToken(c.key)
		w := e.send("GET", "/api/me", "DPoP", tok, c.key.proof(t, "GET", url, tok, nil, nil))
		if w.Code != c.status || c.status == 401 && !strings.Contains(w.Body.String(), "must have 2048 bits") {
			t.Errorf(
				"RSA-%d: %d %s, want %d",
				c.key.signer.Public().(*rsa.PublicKey).N.BitLen(),
				w.Code,
				w.Body,
				c.status,
			)
		}
	}
	for _, bits := range []int{-1, 1024, 2047, 4097, 16384} {
		if err := (core.DPoPConfig{
			Mode:            core.DPoPAllowed,
			PublicURL:       dpopBase,
			MaxProofRSABits: bits,
		}).Validate(); err == nil ||
			!strings.Contains(err.Error(), "MaxProofRSABits") {
			t.Errorf("MaxProofRSABits %d: %v, want an error naming it", bits, err)
		}
	}
	for _, bits := range []int{0, 2048, 3072, 4096} {
		if err := (core.DPoPConfig{
			Mode:            core.DPoPAllowed,
			PublicURL:       dpopBase,
			MaxProofRSABits: bits,
		}).Validate(); err != nil {
			t.Errorf("MaxProofRSABits %d: %v", bits, err)
		}
	}
}
