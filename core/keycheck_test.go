package core_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// unusableOfKind returns the catalogue's unusable keys of one kind and their
// JWKs.
func unusableOfKind(t *testing.T, kind string) ([]authcases.UnusableKey, []string) {
	t.Helper()
	var keys []authcases.UnusableKey
	var jwks []string
	for _, k := range authcases.UnusableKeys() {
		if k.Kind == kind {
			keys = append(keys, k)
			jwks = append(jwks, k.JWK)
		}
	}
	if len(keys) == 0 {
		t.Fatalf("no unusable keys of kind %q", kind)
	}
	return keys, jwks
}

// splitToken returns a compact JWS's signing input and decoded signature.
func splitToken(t *testing.T, token string) (string, []byte) {
	t.Helper()
	i := strings.LastIndexByte(token, '.')
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	return token[:i], sig
}

// An Ed25519 key that is a point of small order (all eight, canonical or
// not) verifies a crafted signature on chosen messages under Go's
// ed25519.Verify; published in a JWKS, it must verify nothing. The genuine
// Ed25519 key beside them stays the only one a kid-less EdDSA token fits.
func TestSmallOrderEd25519KeysNeverVerify(t *testing.T) {
	keys, jwks := unusableOfKind(t, authcases.KindSmallOrderEd25519)
	if len(keys) < 8 {
		t.Fatalf("%d small-order encodings, want all eight points at least", len(keys))
	}
	good := `{"kty":"OKP","crv":"Ed25519","kid":"` + testkeys.KIDEd25519 + `","x":"` + b64(
		testkeys.Ed25519().Public().(ed25519.PublicKey),
	) + `"}`
	v, iss := keySetValidator(t, jwksOf(append([]string{good}, jwks...)...))
	for _, k := range keys {
		token := k.Forge(iss.URL())
		input, sig := splitToken(t, token)
		if !ed25519.Verify(k.Public.(ed25519.PublicKey), []byte(input), sig) {
			t.Fatalf("%s: the crafted signature does not verify under ed25519.Verify; the test proves nothing", k.Name)
		}
		_, err := v.Verify(t.Context(), token)
		wantCheck(t, err, "key")
	}
	mustVerify(t, v, iss.MustMint(nil, authtest.SignWithKey(testkeys.Ed25519(), testkeys.KIDEd25519)))
	mustVerify(
		t,
		v,
		iss.MustMint(
			nil,
			authtest.SignWithKey(testkeys.Ed25519(), testkeys.KIDEd25519),
			authtest.WithHeader("kid", nil),
		),
	)
}

// RSA keys that are no RSA keys (an even modulus, a modulus with a small
// factor, an exponent that is 1 or even) verify nothing. The modulus with
// the factor 3 is the dangerous one: anyone who factors it signs, and the
// forged token below verifies under Go's crypto/rsa.
func TestWeakRSAKeysNeverVerify(t *testing.T) {
	keys, jwks := unusableOfKind(t, authcases.KindWeakRSA)
	good := rsaPublicJWK(testkeys.KIDRSA, &testkeys.RSA().PublicKey, "")
	v, iss := keySetValidator(t, jwksOf(append([]string{good}, jwks...)...))
	forgeryChecked := false
	for _, k := range keys {
		token := k.Forge(iss.URL())
		if k.KID == "rsa-small-factor" {
			input, sig := splitToken(t, token)
			sum := sha256.Sum256([]byte(input))
			if err := rsa.VerifyPKCS1v15(k.Public.(*rsa.PublicKey), crypto.SHA256, sum[:], sig); err != nil {
				t.Fatalf("the forgery under the factor-3 modulus does not verify (%v); the test proves nothing", err)
			}
			forgeryChecked = true
		}
		_, err := v.Verify(t.Context(), token)
		wantCheck(t, err, "key")
	}
	if !forgeryChecked {
		t.Fatal("no small-factor key in the catalogue")
	}
	mustVerify(t, v, iss.MustMint(nil))
}

// EC points off their curve, or the point (0, 0), are refused on their own;
// the genuine P-256 key beside them verifies.
func TestInvalidECPointsNeverVerify(t *testing.T) {
	keys, jwks := unusableOfKind(t, authcases.KindInvalidEC)
	ec := testkeys.EC()
	good := `{"kty":"EC","crv":"P-256","kid":"` + testkeys.KIDEC + `","x":"` + b64(
		ec.X.FillBytes(make([]byte, 32)),
	) + `","y":"` + b64(
		ec.Y.FillBytes(make([]byte, 32)),
	) + `"}`
	v, iss := keySetValidator(t, jwksOf(append([]string{good}, jwks...)...))
	for _, k := range keys {
		_, err := v.Verify(t.Context(), k.Forge(iss.URL()))
		wantCheck(t, err, "key")
	}
	mustVerify(t, v, iss.MustMint(nil, authtest.SignWithKey(ec, testkeys.KIDEC)))
}
