package testkeys_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"

	"github.com/identsphere/identsphere-go/internal/testkeys"
)

func TestRSAKeysHavePromisedSizeAndAreDistinct(t *testing.T) {
	tests := []struct {
		name string
		key  func() *rsa.PrivateKey
		bits int
	}{
		{"RSA", testkeys.RSA, 2048},
		{"RSA2", testkeys.RSA2, 2048},
		{"AttackerRSA", testkeys.AttackerRSA, 2048},
		{"RSA1024", testkeys.RSA1024, 1024},
		{"RSA4096", testkeys.RSA4096, 4096},
		{"RSA4160", testkeys.RSA4160, 4160},
		{"RSAExponent3", testkeys.RSAExponent3, 2048},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := tt.key()
			if got := k.N.BitLen(); got != tt.bits {
				t.Fatalf("modulus is %d bits, want %d", got, tt.bits)
			}
			if err := k.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if other, dup := seen[k.N.String()]; dup {
				t.Fatalf("same modulus as %s", other)
			}
			seen[k.N.String()] = tt.name
			if tt.key() != k {
				t.Fatal("second call returned a different *rsa.PrivateKey")
			}
		})
	}
}

func TestECKeysHavePromisedCurve(t *testing.T) {
	tests := []struct {
		name  string
		key   func() *ecdsa.PrivateKey
		curve elliptic.Curve
	}{
		{"EC", testkeys.EC, elliptic.P256()},
		{"EC384", testkeys.EC384, elliptic.P384()},
		{"EC521", testkeys.EC521, elliptic.P521()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := tt.key()
			if k.Curve != tt.curve {
				t.Fatalf("curve is %s, want %s", k.Curve.Params().Name, tt.curve.Params().Name)
			}
			if tt.key() != k {
				t.Fatal("second call returned a different *ecdsa.PrivateKey")
			}
		})
	}
}

func TestEd25519KeyIsStable(t *testing.T) {
	k := testkeys.Ed25519()
	if len(k) != 64 {
		t.Fatalf("key is %d bytes, want 64", len(k))
	}
	if !k.Equal(testkeys.Ed25519()) {
		t.Fatal("second call returned a different key")
	}
}

// Every key must produce a signature its own public key accepts; this
// catches a fixture whose public and private halves do not match.
func TestEveryKeySignsAndVerifies(t *testing.T) {
	msg := []byte("testkeys")
	digest := sha256.Sum256(msg)
	signers := map[string]crypto.Signer{
		"RSA": testkeys.RSA(), "RSA2": testkeys.RSA2(), "AttackerRSA": testkeys.AttackerRSA(),
		"RSA1024": testkeys.RSA1024(), "RSA4096": testkeys.RSA4096(), "RSA4160": testkeys.RSA4160(),
		"RSAExponent3": testkeys.RSAExponent3(), "EC": testkeys.EC(), "EC384": testkeys.EC384(),
		"EC521":   testkeys.EC521(),
		"Ed25519": testkeys.Ed25519(),
	}
	for name, s := range signers {
		t.Run(name, func(t *testing.T) {
			var ok bool
			switch pub := s.Public().(type) {
			case *rsa.PublicKey:
				sig, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
				ok = err == nil && rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
			case *ecdsa.PublicKey:
				sig, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
				ok = err == nil && ecdsa.VerifyASN1(pub, digest[:], sig)
			case ed25519.PublicKey:
				sig, err := s.Sign(rand.Reader, msg, crypto.Hash(0))
				ok = err == nil && ed25519.Verify(pub, msg, sig)
			default:
				t.Fatalf("unexpected public key type %T", pub)
			}
			if !ok {
				t.Fatal("signature does not verify under the key's own public half")
			}
		})
	}
}

func TestKIDsAreDistinct(t *testing.T) {
	kids := []string{
		testkeys.KIDRSA,
		testkeys.KIDRSA2,
		testkeys.KIDEC,
		testkeys.KIDEC384,
		testkeys.KIDEC521,
		testkeys.KIDEd25519,
	}
	seen := map[string]bool{}
	for _, k := range kids {
		if k == "" || seen[k] {
			t.Fatalf("kid %q is empty or repeated", k)
		}
		seen[k] = true
	}
}

// RSAExponent3 exists for its exponent; the others have crypto/rsa's.
func TestRSAExponents(t *testing.T) {
	for name, k := range map[string]*rsa.PrivateKey{
		"RSAExponent3": testkeys.RSAExponent3(),
		"RSA4096":      testkeys.RSA4096(),
		"RSA4160":      testkeys.RSA4160(),
	} {
		want := 65537
		if name == "RSAExponent3" {
			want = 3
		}
		if k.E != want {
			t.Errorf("%s: exponent %d, want %d", name, k.E, want)
		}
	}
}
