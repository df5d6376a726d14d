package jose

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// signer is a private key of each kind, and what golang-jwt signs with.
type signer struct {
	private any
	public  any
	method  jwt.SigningMethod
}

func signers() map[string]signer {
	rsaKey, ed := testkeys.RSA(), testkeys.Ed25519()
	ec256, ec384, ec521 := testkeys.EC(), testkeys.EC384(), testkeys.EC521()
	return map[string]signer{
		"RS256": {rsaKey, &rsaKey.PublicKey, jwt.SigningMethodRS256},
		"RS384": {rsaKey, &rsaKey.PublicKey, jwt.SigningMethodRS384},
		"RS512": {rsaKey, &rsaKey.PublicKey, jwt.SigningMethodRS512},
		"PS256": {rsaKey, &rsaKey.PublicKey, jwt.SigningMethodPS256},
		"PS384": {rsaKey, &rsaKey.PublicKey, jwt.SigningMethodPS384},
		"PS512": {rsaKey, &rsaKey.PublicKey, jwt.SigningMethodPS512},
		"ES256": {ec256, &ec256.PublicKey, jwt.SigningMethodES256},
		"ES384": {ec384, &ec384.PublicKey, jwt.SigningMethodES384},
		"ES512": {ec521, &ec521.PublicKey, jwt.SigningMethodES512},
		"EdDSA": {ed, ed.Public(), jwt.SigningMethodEdDSA},
	}
}

// trial is one signature check and whether it must pass.
type trial struct {
	what   string
	input  string
	sig    []byte
	key    any
	accept bool
}

// Verify accepts each algorithm's genuine signature, and none that is
// altered, over other bytes, of the wrong size, empty, or checked with a
// key of another kind or curve.
func TestVerifyRefusesAlteredSignaturesAndOtherKeys(t *testing.T) {
	const input = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyLTEifQ"
	all := signers()
	if len(all) != len(AlgorithmNames()) {
		t.Fatalf("%d signers for %d algorithms", len(all), len(AlgorithmNames()))
	}
	for name, s := range all {
		alg, ok := LookupAlgorithm(name)
		if !ok {
			t.Fatalf("%s: not an algorithm", name)
		}
		sig, err := s.method.Sign(input, s.private)
		if err != nil {
			t.Fatal(err)
		}
		altered := append([]byte(nil), sig...)
		altered[len(altered)/2] ^= 1
		trials := []trial{
			{"genuine", input, sig, s.public, true},
			{"altered", input, altered, s.public, false},
			{"other input", input + "x", sig, s.public, false},
			{"one byte short", input, sig[:len(sig)-1], s.public, false},
			{"one byte long", input, append(append([]byte(nil), sig...), 0), s.public, false},
			{"empty", input, nil, s.public, false},
		}
		for other, o := range all { // the other keys: of another kind, or another curve
			if o.public.(interface{ Equal(crypto.PublicKey) bool }).Equal(s.public) {
				continue
			}
			trials = append(trials, trial{"key of " + other, input, sig, o.public, false})
		}
		if (Algorithm{}).Verify(input, sig, s.public) == nil {
			t.Errorf("%s: the zero Algorithm verified a genuine signature", name)
		}
		for _, tr := range trials {
			if got := alg.Verify(tr.input, tr.sig, tr.key) == nil; got != tr.accept {
				t.Errorf("%s, %s: accepted %v, want %v", name, tr.what, got, tr.accept)
			}
		}
	}
}

// PSS signatures verify whatever salt length the signer chose (RFC 7518
// §3.5), and an Ed25519 key of the wrong size is refused, not a panic.
func TestVerifyPSSSaltsAndShortEdKey(t *testing.T) {
	key := testkeys.RSA()
	const input = "header.payload"
	sum := sha256.Sum256([]byte(input))
	ps256, _ := LookupAlgorithm("PS256")
	for _, salt := range []int{0, 20, sha256.Size, rsa.PSSSaltLengthAuto} {
		sig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, sum[:], &rsa.PSSOptions{SaltLength: salt})
		if err != nil {
			t.Fatal(err)
		}
		if err := ps256.Verify(input, sig, &key.PublicKey); err != nil {
			t.Errorf("salt %d: %v", salt, err)
		}
	}
	ed, _ := LookupAlgorithm("EdDSA")
	edKey := testkeys.Ed25519()
	sig, err := jwt.SigningMethodEdDSA.Sign(input, edKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := ed.Verify(input, sig, edKey.Public().(ed25519.PublicKey)[:16]); err == nil {
		t.Error("a 16-byte Ed25519 key verified a signature")
	}
}

// Checking an RS256 signature allocates what golang-jwt's RS256 check
// allocates: the standard library's own check of a digest computed
// beforehand (the benchmarks' floor), plus golang-jwt's hasher, its copy of
// the signing input and the digest's sum. Nothing of ours is allocated: the
// signature, decoded into a SignatureBuffer on the caller's stack, stays
// there (Verify does not let it escape).
func TestVerifyRS256AllocatesGolangJWTsThreeBeyondTheArithmetic(t *testing.T) {
	key := testkeys.RSA()
	const input = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ"
	sig, err := jwt.SigningMethodRS256.Sign(input, key)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(input))
	floor := testing.AllocsPerRun(50, func() {
		if rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
			panic("the floor failed")
		}
	})
	alg, _ := LookupAlgorithm("RS256")
	got := testing.AllocsPerRun(50, func() {
		var buf SignatureBuffer
		if alg.Verify(input, buf[:copy(buf[:], sig)], &key.PublicKey) != nil {
			panic("RS256 failed")
		}
	})
	if got != floor+3 {
		t.Fatalf("RS256 Verify: %v allocations, want the standard library's check (%v) + 3", got, floor)
	}
}
