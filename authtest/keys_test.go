package authtest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// publicJWK is the wire form of a published key, with every field a JWK may
// carry, private ones included, so that tests can assert their absence.
type publicJWK map[string]string

func jwksKeys(t *testing.T, iss *authtest.Issuer) []publicJWK {
	t.Helper()
	var set struct {
		Keys []publicJWK `json:"keys"`
	}
	if err := json.Unmarshal(liveJWKS(t, iss), &set); err != nil {
		t.Fatalf("JWKS is not a JSON key set: %v", err)
	}
	return set.Keys
}

func kids(keys []publicJWK) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k["kid"])
	}
	return out
}

func b64Len(t *testing.T, s string) int {
	t.Helper()
	return len(mustB64(t, s))
}

func TestJWKSPublishesPublicPartsOnly(t *testing.T) {
	iss := newIssuer(t,
		authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithKey(testkeys.KIDEC, testkeys.EC()),
		authtest.WithKey(testkeys.KIDEC521, testkeys.EC521()),
		authtest.WithKey(testkeys.KIDEd25519, testkeys.Ed25519()),
	)
	resp, _ := get(t, iss.JWKSURL())
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	keys := jwksKeys(t, iss)
	if got := kids(keys); !slices.Equal(
		got,
		[]string{testkeys.KIDRSA, testkeys.KIDEC, testkeys.KIDEC521, testkeys.KIDEd25519},
	) {
		t.Fatalf("kids %v, want the keys in the order given", got)
	}
	allowed := map[string][]string{
		"RSA": {"kty", "kid", "use", "alg", "n", "e"},
		"EC":  {"kty", "kid", "use", "alg", "crv", "x", "y"},
		"OKP": {"kty", "kid", "use", "alg", "crv", "x"},
	}
	for _, k := range keys {
		for field := range k {
			if !slices.Contains(allowed[k["kty"]], field) {
				t.Errorf("key %s has field %q: only public parameters may be published", k["kid"], field)
			}
		}
		if k["use"] != "sig" {
			t.Errorf("key %s: use %q, want sig", k["kid"], k["use"])
		}
	}

	rsaJWK, ecJWK, ec521JWK, edJWK := keys[0], keys[1], keys[2], keys[3]
	n := new(big.Int).SetBytes(mustB64(t, rsaJWK["n"]))
	if rsaJWK["kty"] != "RSA" || rsaJWK["alg"] != "RS256" || rsaJWK["e"] != "AQAB" || n.Cmp(testkeys.RSA().N) != 0 {
		t.Errorf("RSA JWK %v does not match testkeys.RSA", rsaJWK)
	}
	x := new(big.Int).SetBytes(mustB64(t, ecJWK["x"]))
	if ecJWK["kty"] != "EC" || ecJWK["crv"] != "P-256" || ecJWK["alg"] != "ES256" ||
		b64Len(t, ecJWK["x"]) != 32 || b64Len(t, ecJWK["y"]) != 32 || x.Cmp(testkeys.EC().X) != 0 {
		t.Errorf("P-256 JWK %v does not match testkeys.EC", ecJWK)
	}
	if ec521JWK["crv"] != "P-521" || ec521JWK["alg"] != "ES512" || b64Len(t, ec521JWK["x"]) != 66 ||
		b64Len(t, ec521JWK["y"]) != 66 {
		t.Errorf("P-521 JWK %v: want crv P-521, alg ES512, 66-byte coordinates", ec521JWK)
	}
	if edJWK["kty"] != "OKP" || edJWK["crv"] != "Ed25519" || edJWK["alg"] != "EdDSA" ||
		!bytes.Equal(mustB64(t, edJWK["x"]), testkeys.Ed25519()[32:]) {
		t.Errorf("Ed25519 JWK %v does not match testkeys.Ed25519", edJWK)
	}
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("%q is not unpadded base64url: %v", s, err)
	}
	return b
}

func TestDefaultIssuerHasEphemeralRSA2048Key(t *testing.T) {
	iss := authtest.NewIssuer()
	t.Cleanup(iss.Close)
	keys := jwksKeys(t, iss)
	if len(keys) != 1 || keys[0]["kid"] != authtest.DefaultKID || keys[0]["kty"] != "RSA" ||
		b64Len(t, keys[0]["n"]) != 256 {
		t.Fatalf("JWKS %v, want one RSA-2048 key with kid %q", keys, authtest.DefaultKID)
	}
	if _, err := verifyWithLiveJWKS(t, iss, iss.MustMint(nil)); err != nil {
		t.Fatalf("token from the ephemeral key does not verify: %v", err)
	}
	other := authtest.NewIssuer()
	t.Cleanup(other.Close)
	if jwksKeys(t, other)[0]["n"] == keys[0]["n"] {
		t.Fatal("two issuers share the ephemeral key")
	}
}

func TestRotationAddUseRemove(t *testing.T) {
	iss := newIssuer(t)

	iss.AddKey(testkeys.KIDRSA2, testkeys.RSA2())
	if got := kids(jwksKeys(t, iss)); !slices.Equal(got, []string{testkeys.KIDRSA, testkeys.KIDRSA2}) {
		t.Fatalf("after AddKey, kids %v", got)
	}
	if kid := header(t, iss.MustMint(nil))["kid"]; kid != testkeys.KIDRSA {
		t.Fatalf("AddKey changed the signing key to %v", kid)
	}

	iss.UseKey(testkeys.KIDRSA2)
	token := iss.MustMint(nil)
	if kid := header(t, token)["kid"]; kid != testkeys.KIDRSA2 {
		t.Fatalf("after UseKey, kid %v", kid)
	}
	if _, err := verifyWithLiveJWKS(t, iss, token); err != nil {
		t.Fatalf("token from the rotated key does not verify: %v", err)
	}

	old := iss.MustMint(nil, authtest.SignWith(testkeys.KIDRSA))
	iss.RemoveKey(testkeys.KIDRSA)
	iss.RemoveKey("never-existed") // a no-op
	if got := kids(jwksKeys(t, iss)); !slices.Equal(got, []string{testkeys.KIDRSA2}) {
		t.Fatalf("after RemoveKey, kids %v", got)
	}
	if _, err := verifyWithLiveJWKS(t, iss, old); err == nil {
		t.Fatal("a token of the removed key still verifies")
	}

	iss.AddKey(testkeys.KIDRSA, testkeys.RSA())
	if got := kids(jwksKeys(t, iss)); !slices.Equal(got, []string{testkeys.KIDRSA, testkeys.KIDRSA2}) {
		t.Fatalf("after re-adding, kids %v, want the original position kept", got)
	}
}

func TestAddKeyReplacesKeyMaterialOfExistingKID(t *testing.T) {
	iss := newIssuer(t)
	before := jwksKeys(t, iss)[0]["n"]
	iss.AddKey(testkeys.KIDRSA, testkeys.AttackerRSA())
	keys := jwksKeys(t, iss)
	if len(keys) != 1 || keys[0]["n"] == before {
		t.Fatalf("JWKS %v, want the one kid with new key material", keys)
	}
	if _, err := verifyWithLiveJWKS(t, iss, iss.MustMint(nil)); err != nil {
		t.Fatalf("default key did not follow the replacement: %v", err)
	}
}

func TestSetJWKSServesBodyVerbatim(t *testing.T) {
	iss := newIssuer(t)
	genuine := liveJWKS(t, iss)
	bodies := []string{
		`{"keys":[{"kty":"oct","kid":"rsa-1","k":"c2VjcmV0"}]}`,
		`{"keys":[]}`,
		`null`,
		``,
	}
	for _, body := range bodies {
		in := []byte(body)
		iss.SetJWKS(in)
		if len(in) > 0 {
			in[0] = 'X' // the issuer must have kept its own copy
		}
		resp, got := get(t, iss.JWKSURL())
		if resp.StatusCode != http.StatusOK || string(got) != body {
			t.Fatalf("served %d %q, want 200 %q", resp.StatusCode, got, body)
		}
	}
	iss.SetJWKS(nil)
	if got := liveJWKS(t, iss); !bytes.Equal(got, genuine) {
		t.Fatalf("after SetJWKS(nil) served %s, want the real set %s", got, genuine)
	}
}

func TestMisuseOfKeysPanics(t *testing.T) {
	iss := newIssuer(t)
	mustPanic(t, `UseKey("nope"): no such key`, func() { iss.UseKey("nope") })
	mustPanic(t, `AddKey(""): the kid must not be empty`, func() { iss.AddKey("", testkeys.RSA()) })
	mustPanic(t, "unsupported key type", func() { iss.AddKey("x", opaqueSigner{testkeys.EC()}) })
	mustPanic(t, "kid given twice", func() {
		authtest.NewIssuer(authtest.WithKey("a", testkeys.RSA()), authtest.WithKey("a", testkeys.EC())).Close()
	})
	mustPanic(t, "must be positive", func() {
		authtest.NewIssuer(authtest.WithKey("a", testkeys.RSA()), authtest.WithTokenTTL(-time.Second)).Close()
	})
}
