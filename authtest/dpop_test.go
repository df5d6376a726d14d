package authtest_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/stdauth"
)

var b64url = base64.RawURLEncoding

// publicOnly is a crypto.Signer that knows only a public key, so that the
// RFCs' published public keys can be given to GenerateDPoPKey.
type publicOnly struct{ pub crypto.PublicKey }

func (p publicOnly) Public() crypto.PublicKey { return p.pub }
func (publicOnly) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("public key only")
}

// TestDPoPThumbprintRFCVectors checks Thumbprint against the thumbprints
// the RFCs publish for their example keys.
func TestDPoPThumbprintRFCVectors(t *testing.T) {
	// RFC 7638 section 3.1: the key's modulus, base64url.
	rsaN := "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc" +
		"_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQ" +
		"R0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bF" +
		"TWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
	rsaKey := &rsa.PublicKey{N: new(big.Int).SetBytes(mustB64(t, rsaN)), E: 65537}
	// RFC 9449 section 4.1 (the proof's jwk) and section 6.1 (its jkt).
	ec, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(
		[]byte{4},
		append(
			mustB64(t, "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs"),
			mustB64(t, "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA")...)...))
	if err != nil {
		t.Fatal(err)
	}
	// RFC 8037 appendix A.3.
	ed := ed25519.PublicKey(mustB64(t, "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"))

	for _, tc := range []struct {
		name string
		pub  crypto.PublicKey
		want string
	}{
		{"RFC 7638 RSA", rsaKey, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"},
		{"RFC 9449 EC P-256", ec, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"},
		{"RFC 8037 Ed25519", ed, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"},
	} {
		k, err := authtest.GenerateDPoPKey(authtest.DPoPKeySigner(publicOnly{tc.pub}))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := k.Thumbprint(); got != tc.want {
			t.Errorf("%s: thumbprint %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestDPoPAccessTokenHashRFCVector checks ath against RFC 9449 section 7.1.
func TestDPoPAccessTokenHashRFCVector(t *testing.T) {
	got := authtest.DPoPAccessTokenHash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")
	if want := "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"; got != want {
		t.Fatalf("ath %s, want %s", got, want)
	}
}

// parsedProof is a proof split open without trusting it.
type parsedProof struct {
	header    map[string]any
	claims    map[string]any
	signature []byte
}

func parseProof(t *testing.T, proof string) parsedProof {
	t.Helper()
	parts := strings.Split(proof, ".")
	if len(parts) != 3 {
		t.Fatalf("a proof of %d parts", len(parts))
	}
	var p parsedProof
	if err := json.Unmarshal(mustB64(t, parts[0]), &p.header); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mustB64(t, parts[1]), &p.claims); err != nil {
		t.Fatal(err)
	}
	p.signature = mustB64(t, parts[2])
	return p
}

// jwkPublicKey reads a public JWK as a verifier would, independently of
// the kit.
func jwkPublicKey(t *testing.T, jwk map[string]any) crypto.PublicKey {
	t.Helper()
	str := func(name string) []byte {
		s, _ := jwk[name].(string)
		return mustB64(t, s)
	}
	switch jwk["kty"] {
	case "RSA":
		return &rsa.PublicKey{N: new(big.Int).SetBytes(str("n")), E: int(new(big.Int).SetBytes(str("e")).Int64())}
	case "EC":
		curve := map[any]elliptic.Curve{
			"P-256": elliptic.P256(),
			"P-384": elliptic.P384(),
			"P-521": elliptic.P521(),
		}[jwk["crv"]]
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, str("x")...), str("y")...))
		if err != nil {
			t.Fatal(err)
		}
		return pub
	case "OKP":
		return ed25519.PublicKey(str("x"))
	}
	t.Fatalf("jwk kty %v", jwk["kty"])
	return nil
}

// canonicalThumbprint computes RFC 7638 on a path of its own: struct
// fields marshal in declaration order, which is lexicographic here.
func canonicalThumbprint(t *testing.T, jwk map[string]any) string {
	t.Helper()
	s := func(name string) string { v, _ := jwk[name].(string); return v }
	type rsaMembers struct {
		E   string `json:"e"`
		Kty string `json:"kty"`
		N   string `json:"n"`
	}
	type ecMembers struct {
		Crv string `json:"crv"`
		Kty string `json:"kty"`
		X   string `json:"x"`
		Y   string `json:"y"`
	}
	type okpMembers struct {
		Crv string `json:"crv"`
		Kty string `json:"kty"`
		X   string `json:"x"`
	}
	var canonical any
	switch s("kty") {
	case "RSA":
		canonical = rsaMembers{s("e"), s("kty"), s("n")}
	case "EC":
		canonical = ecMembers{s("crv"), s("kty"), s("x"), s("y")}
	case "OKP":
		canonical = okpMembers{s("crv"), s("kty"), s("x")}
	default:
		t.Fatalf("jwk kty %q", s("kty"))
	}
	b, err := json.Marshal(canonical)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return b64url.EncodeToString(sum[:])
}

// verifyProof checks proof's signature with golang-jwt, with the key its
// own jwk header names, and returns it opened.
func verifyProof(t *testing.T, proof, alg string) parsedProof {
	t.Helper()
	p := parseProof(t, proof)
	jwk, ok := p.header["jwk"].(map[string]any)
	if !ok {
		t.Fatalf("no jwk header: %v", p.header)
	}
	pub := jwkPublicKey(t, jwk)
	_, err := jwt.Parse(proof, func(*jwt.Token) (any, error) { return pub, nil }, jwt.WithValidMethods([]string{alg}))
	if err != nil {
		t.Fatalf("the proof does not verify with its own jwk: %v", err)
	}
	return p
}

func TestDPoPProofEveryKeyType(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []authtest.DPoPKeyOption
		alg  string
	}{
		{"default", nil, "ES256"},
		{"P-384", []authtest.DPoPKeyOption{authtest.DPoPKeyECDSA(elliptic.P384())}, "ES384"},
		{"P-521", []authtest.DPoPKeyOption{authtest.DPoPKeyECDSA(elliptic.P521())}, "ES512"},
		{"RSA-2048", []authtest.DPoPKeyOption{authtest.DPoPKeyRSA(2048)}, "RS256"},
		{"Ed25519", []authtest.DPoPKeyOption{authtest.DPoPKeyEd25519()}, "EdDSA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := authtest.NewDPoPKey(t, tc.opts...)
			if key.Alg() != tc.alg {
				t.Fatalf("Alg %s, want %s", key.Alg(), tc.alg)
			}
			before := time.Now().Unix()
			proof := key.Proof(http.MethodPost, "https://api.example/orders/7?expand=items#top", "the-token")
			p := verifyProof(t, proof, tc.alg)

			if p.header["typ"] != "dpop+jwt" || p.header["alg"] != tc.alg || len(p.header) != 3 {
				t.Errorf("header %v", p.header)
			}
			jwk := p.header["jwk"].(map[string]any)
			if _, private := jwk["d"]; private {
				t.Errorf("the jwk holds the private key: %v", jwk)
			}
			if got := canonicalThumbprint(t, jwk); got != key.Thumbprint() {
				t.Errorf("Thumbprint %s, the jwk's is %s", key.Thumbprint(), got)
			}
			if p.claims["htm"] != "POST" || p.claims["htu"] != "https://api.example/orders/7" {
				t.Errorf("htm %v htu %v", p.claims["htm"], p.claims["htu"])
			}
			if p.claims["ath"] != authtest.DPoPAccessTokenHash("the-token") {
				t.Errorf("ath %v", p.claims["ath"])
			}
			if iat, _ := p.claims["iat"].(float64); int64(iat) < before || int64(iat) > time.Now().Unix() {
				t.Errorf("iat %v, want now", p.claims["iat"])
			}
			if jti, _ := p.claims["jti"].(string); len(jti) < 16 {
				t.Errorf("jti %q", jti)
			}
			if len(p.claims) != 5 {
				t.Errorf("claims %v", p.claims)
			}
			again := parseProof(t, key.Proof(http.MethodPost, "https://api.example/orders/7", "the-token"))
			if again.claims["jti"] == p.claims["jti"] {
				t.Error("two proofs share a jti")
			}
		})
	}
}

func TestDPoPProofWithoutAccessToken(t *testing.T) {
	p := parseProof(t, authtest.NewDPoPKey(t).Proof(http.MethodPost, "https://as.example/token", ""))
	if _, ok := p.claims["ath"]; ok {
		t.Fatalf("a proof without a token has ath: %v", p.claims)
	}
}

func TestDPoPHostileProofs(t *testing.T) {
	key := authtest.NewDPoPKey(t)
	other := authtest.NewDPoPKey(t)
	const u = "https://api.example/orders"

	t.Run("iat, jti, nonce, claims", func(t *testing.T) {
		old := time.Now().Add(-time.Hour)
		p := verifyProof(t, key.Proof("GET", u, "tok",
			authtest.WithProofIAT(old), authtest.WithProofJTI("used"), authtest.WithProofNonce("n-1"),
			authtest.WithProofClaims(authtest.Claims{"htm": "DELETE", "ath": nil, "extra": []int{1}})), "ES256")
		want := map[string]any{
			"iat":   float64(old.Unix()),
			"jti":   "used",
			"nonce": "n-1",
			"htm":   "DELETE",
			"htu":   u,
			"extra": []any{float64(1)},
		}
		if len(p.claims) != len(want) {
			t.Fatalf("claims %v, want %v", p.claims, want)
		}
		for name, v := range want {
			if got, _ := json.Marshal(p.claims[name]); string(got) != string(must(json.Marshal(v))) {
				t.Errorf("%s = %s, want %v", name, got, v)
			}
		}
	})
	t.Run("headers", func(t *testing.T) {
		p := parseProof(
			t,
			key.Proof(
				"GET",
				u,
				"tok",
				authtest.WithProofHeader("typ", "JWT"),
				authtest.WithProofHeader("jwk", nil),
				authtest.WithProofHeader("kid", "k1"),
			),
		)
		if p.header["typ"] != "JWT" || p.header["kid"] != "k1" || p.header["jwk"] != nil || p.header["alg"] != "ES256" {
			t.Fatalf("header %v", p.header)
		}
	})
	t.Run("alg none", func(t *testing.T) {
		proof := key.Proof("GET", u, "tok", authtest.WithProofAlg("none"))
		p := parseProof(t, proof)
		if p.header["alg"] != "none" || len(p.signature) != 0 || !strings.HasSuffix(proof, ".") {
			t.Fatalf("header %v, signature %x", p.header, p.signature)
		}
	})
	t.Run("HS256 and HS512", func(t *testing.T) {
		secret := []byte("shared")
		for alg, opts := range map[string][]authtest.ProofOption{
			"HS256": {authtest.SignProofWithSecret(secret)},
			"HS512": {authtest.SignProofWithSecret(secret), authtest.WithProofAlg("HS512")},
		} {
			proof := key.Proof("GET", u, "tok", opts...)
			if p := parseProof(t, proof); p.header["alg"] != alg || p.header["jwk"] == nil {
				t.Errorf("%s: header %v", alg, p.header)
			}
			if _, err := jwt.Parse(
				proof,
				func(*jwt.Token) (any, error) { return secret, nil },
				jwt.WithValidMethods([]string{alg}),
			); err != nil {
				t.Errorf("%s: the HMAC does not verify: %v", alg, err)
			}
			mac := hmac.New(sha256.New, []byte("other"))
			mac.Write([]byte(proof[:strings.LastIndexByte(proof, '.')]))
			if b64url.EncodeToString(mac.Sum(nil)) == proof[strings.LastIndexByte(proof, '.')+1:] {
				t.Errorf("%s: another secret gives the same MAC", alg)
			}
		}
	})
	t.Run("signed by another key", func(t *testing.T) {
		proof := key.Proof("GET", u, "tok", authtest.SignProofWithKey(other.Signer()))
		p := parseProof(t, proof)
		if canonicalThumbprint(t, p.header["jwk"].(map[string]any)) != key.Thumbprint() {
			t.Fatal("the jwk is not the DPoP key's")
		}
		if _, err := jwt.Parse(
			proof,
			func(*jwt.Token) (any, error) { return key.Signer().Public(), nil },
			jwt.WithValidMethods([]string{"ES256"}),
		); err == nil {
			t.Fatal("the proof verifies with the key its jwk names")
		}
		if _, err := jwt.Parse(
			proof,
			func(*jwt.Token) (any, error) { return other.Signer().Public(), nil },
			jwt.WithValidMethods([]string{"ES256"}),
		); err != nil {
			t.Fatalf("the proof does not verify with the signing key: %v", err)
		}
	})
	t.Run("a valid proof of another key", func(t *testing.T) {
		p := verifyProof(
			t,
			key.Proof(
				"GET",
				u,
				"tok",
				authtest.SignProofWithKey(other.Signer()),
				authtest.WithProofHeader("jwk", other.PublicJWK()),
			),
			"ES256",
		)
		if canonicalThumbprint(t, p.header["jwk"].(map[string]any)) != other.Thumbprint() {
			t.Fatal("the jwk is not the other key's")
		}
	})
	t.Run("private key in the jwk", func(t *testing.T) {
		for _, k := range []*authtest.DPoPKey{
			key,
			authtest.NewDPoPKey(t, authtest.DPoPKeyRSA(2048)),
			authtest.NewDPoPKey(t, authtest.DPoPKeyEd25519()),
		} {
			p := verifyProof(t, k.Proof("GET", u, "tok", authtest.WithPrivateJWK()), k.Alg())
			jwk := p.header["jwk"].(map[string]any)
			d, _ := jwk["d"].(string)
			switch priv := k.Signer().(type) {
			case *ecdsa.PrivateKey:
				if want := b64url.EncodeToString(must(priv.Bytes())); d != want {
					t.Errorf("EC d %q, want the private scalar", d)
				}
			case ed25519.PrivateKey:
				if d != b64url.EncodeToString(priv.Seed()) {
					t.Errorf("Ed25519 d %q, want the seed", d)
				}
			case *rsa.PrivateKey:
				priv.Precompute()
				for name, want := range map[string]*big.Int{
					"d":  priv.D,
					"p":  priv.Primes[0],
					"q":  priv.Primes[1],
					"dp": priv.Precomputed.Dp,
					"dq": priv.Precomputed.Dq,
					"qi": priv.Precomputed.Qinv,
				} {
					if jwk[name] != b64url.EncodeToString(want.Bytes()) {
						t.Errorf("RSA %s %v is not the key's", name, jwk[name])
					}
				}
			}
			if canonicalThumbprint(t, jwk) != k.Thumbprint() {
				t.Error("the private members changed the thumbprint")
			}
		}
	})
	t.Run("PS256 on an RSA key", func(t *testing.T) {
		k := authtest.NewDPoPKey(t, authtest.DPoPKeyRSA(2048))
		verifyProof(t, k.Proof("GET", u, "tok", authtest.WithProofAlg("PS256")), "PS256")
	})
	t.Run("RSA-1024", func(t *testing.T) {
		k := authtest.NewDPoPKey(t, authtest.DPoPKeyRSA(1024))
		if bits := k.Signer().Public().(*rsa.PublicKey).N.BitLen(); bits != 1024 {
			t.Fatalf("%d bits", bits)
		}
		verifyProof(t, k.Proof("GET", u, "tok"), "RS256")
	})
	t.Run("header alg differs from the signature's", func(t *testing.T) {
		p := parseProof(t, key.Proof("GET", u, "tok", authtest.WithProofHeader("alg", "ES384")))
		if p.header["alg"] != "ES384" || len(p.signature) != 64 {
			t.Fatalf("header %v, %d-byte signature", p.header, len(p.signature))
		}
	})
}

func TestDPoPProofsThatCannotBeMade(t *testing.T) {
	key := authtest.NewDPoPKey(t)
	secret := authtest.SignProofWithSecret([]byte("s"))
	for name, opts := range map[string][]authtest.ProofOption{
		"RS256 on an EC key":       {authtest.WithProofAlg("RS256")},
		"ES384 on a P-256 key":     {authtest.WithProofAlg("ES384")},
		"EdDSA on an EC key":       {authtest.WithProofAlg("EdDSA")},
		"HS256 without a secret":   {authtest.WithProofAlg("HS256")},
		"unknown alg":              {authtest.WithProofAlg("XS256")},
		"private jwk of a signer":  {authtest.WithPrivateJWK()},
		"claim that is not JSON":   {authtest.WithProofClaims(authtest.Claims{"c": make(chan int)})},
		"header that is not JSON":  {authtest.WithProofHeader("h", func() {})},
		"ES256 with a secret only": {secret, authtest.WithProofAlg("ES256")},
		"EdDSA with a secret only": {secret, authtest.WithProofAlg("EdDSA")},
		"HS256 with a key":         {secret, authtest.SignProofWithKey(key.Signer()), authtest.WithProofAlg("HS256")},
	} {
		k := key
		if name == "private jwk of a signer" {
			k = must(authtest.GenerateDPoPKey(authtest.DPoPKeySigner(opaqueSigner{key.Signer()})))
		}
		if _, err := k.SignProof("GET", "https://api.example/", "tok", opts...); err == nil {
			t.Errorf("%s: a proof was made", name)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Proof did not panic on a proof that cannot be made")
			}
		}()
		key.Proof("GET", "https://api.example/", "tok", authtest.WithProofAlg("RS256"))
	}()
	if _, err := key.SignProof("GET", "https://api.example/%zz", "tok"); err == nil {
		t.Error("a proof for a URL that does not parse")
	}
}

func TestDPoPKeyFromSigner(t *testing.T) {
	base := authtest.NewDPoPKey(t, authtest.DPoPKeyEd25519())
	k := authtest.NewDPoPKey(t, authtest.DPoPKeySigner(opaqueSigner{base.Signer()}))
	if k.Thumbprint() != base.Thumbprint() || k.Alg() != "EdDSA" {
		t.Fatalf("thumbprint %s alg %s", k.Thumbprint(), k.Alg())
	}
	verifyProof(t, k.Proof("GET", "https://api.example/", "tok"), "EdDSA")

	ec := authtest.NewDPoPKey(t)
	verifyProof(
		t,
		authtest.NewDPoPKey(t, authtest.DPoPKeySigner(opaqueSigner{ec.Signer()})).
			Proof("GET", "https://api.example/", ""),
		"ES256",
	)

	for name, opt := range map[string]authtest.DPoPKeyOption{
		"nil signer":     authtest.DPoPKeySigner(nil),
		"P-224":          authtest.DPoPKeyECDSA(elliptic.P224()),
		"RSA-512":        authtest.DPoPKeyRSA(512),
		"unknown public": authtest.DPoPKeySigner(publicOnly{"not a key"}),
	} {
		if _, err := authtest.GenerateDPoPKey(opt); err == nil {
			t.Errorf("%s: a key was made", name)
		}
	}
}

func TestDPoPAuthorize(t *testing.T) {
	key := authtest.NewDPoPKey(t)
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	t.Cleanup(srv.Close)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, srv.URL+"/orders/1?x=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	key.Authorize(req, "tok")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got.Get("Authorization") != "DPoP tok" || len(got.Values("DPoP")) != 1 {
		t.Fatalf("headers %v", got)
	}
	p := verifyProof(t, got.Get("DPoP"), "ES256")
	if p.claims["htm"] != "PUT" || p.claims["htu"] != srv.URL+"/orders/1" ||
		p.claims["ath"] != authtest.DPoPAccessTokenHash("tok") {
		t.Fatalf("claims %v", p.claims)
	}

	bare := httptest.NewRequest(http.MethodPost, "https://as.example/token", nil)
	key.Authorize(bare, "")
	if bare.Header.Get("Authorization") != "" || bare.Header.Get("DPoP") == "" {
		t.Fatalf("a proof without a token: %v", bare.Header)
	}
	defer func() {
		if recover() == nil {
			t.Error("Authorize made a proof for a relative URL")
		}
	}()
	key.Authorize(httptest.NewRequest(http.MethodGet, "/orders", nil), "tok")
}

func TestBoundTo(t *testing.T) {
	key := authtest.NewDPoPKey(t)
	extra := authtest.Claims{"sub": "alice", "cnf": "overwritten"}
	claims := authtest.BoundTo(key, extra, authtest.Claims{"scope": "read"})
	if len(extra) != 2 || extra["cnf"] != "overwritten" {
		t.Fatalf("BoundTo changed its argument: %v", extra)
	}
	if claims["sub"] != "alice" || claims["scope"] != "read" || len(claims) != 3 {
		t.Fatalf("claims %v", claims)
	}
	iss := newIssuer(t)
	token := iss.Token(t, claims)
	var payload struct {
		Sub string            `json:"sub"`
		Cnf map[string]string `json:"cnf"`
	}
	if err := json.Unmarshal(mustB64(t, strings.Split(token, ".")[1]), &payload); err != nil {
		t.Fatal(err)
	}
	if payload.Sub != "alice" || len(payload.Cnf) != 1 || payload.Cnf["jkt"] != key.Thumbprint() {
		t.Fatalf("minted %+v, want cnf.jkt %s", payload, key.Thumbprint())
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A handler behind the middleware with DPoP on, tested with a DPoP-bound
// token: the key's proof is admitted once, its replay and the token
// without a proof are refused.
func ExampleDPoPKey() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v := newValidator(iss)
	defer v.Close()

	// The URL clients reach the service at: proofs name it.
	const publicURL = "https://api.example"
	dpop, err := core.NewDPoP(core.DPoPConfig{Mode: core.DPoPAllowed, PublicURL: publicURL})
	if err != nil {
		panic(err)
	}
	h := stdauth.Middleware(v, core.WithDPoP(dpop))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			claims, _ := core.ClaimsFrom(r.Context())
			fmt.Fprint(w, claims.Subject)
		}))

	key, err := authtest.GenerateDPoPKey() // authtest.NewDPoPKey(t) in a test
	if err != nil {
		panic(err)
	}
	token := iss.MustMint(authtest.BoundTo(key, authtest.Claims{"sub": "alice"}))

	req := httptest.NewRequest(http.MethodGet, publicURL+"/orders", nil)
	key.Authorize(req, token) // Authorization: DPoP <token>, DPoP: <proof>
	serveBrief(h, req)

	replay := httptest.NewRequest(http.MethodGet, publicURL+"/orders", nil)
	replay.Header = req.Header.Clone()
	serveBrief(h, replay)

	asBearer := httptest.NewRequest(http.MethodGet, publicURL+"/orders", nil)
	asBearer.Header.Set("Authorization", "Bearer "+token)
	serveBrief(h, asBearer)
	// Output:
	// GET /orders 200 alice
	// GET /orders 401 invalid_dpop_proof: the DPoP proof was already used (jti)
	// GET /orders 401 invalid_token: the token is DPoP-bound and must be presented with the DPoP scheme and a proof
}

// serveBrief is serve with a refusal's RFC 6750 body printed as its error
// code and description, so that a long description stays on a short line.
func serveBrief(h http.Handler, req *http.Request) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var refusal struct {
		Code        string `json:"error"`
		Description string `json:"error_description"`
	}
	body := rec.Body.String()
	if json.Unmarshal(rec.Body.Bytes(), &refusal) == nil {
		body = refusal.Code + ": " + refusal.Description
	}
	fmt.Println(req.Method, req.URL.Path, rec.Code, body)
}

// Hostile proofs for a resource server's tests: each is refused.
func ExampleDPoPKey_Proof() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v := newValidator(iss)
	defer v.Close()
	const u = "https://api.example/orders"
	dpop, err := core.NewDPoP(core.DPoPConfig{Mode: core.DPoPAllowed, PublicURL: "https://api.example"})
	if err != nil {
		panic(err)
	}
	h := stdauth.Middleware(v, core.WithDPoP(dpop))(
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))

	key, other := must(authtest.GenerateDPoPKey()), must(authtest.GenerateDPoPKey())
	token := iss.MustMint(authtest.BoundTo(key))
	for _, hostile := range []struct {
		name  string
		proof string
	}{
		{"too old", key.Proof("GET", u, token, authtest.WithProofIAT(time.Now().Add(-time.Hour)))},
		{"for another method", key.Proof("POST", u, token)},
		{"for another token", key.Proof("GET", u, "another token")},
		{
			"by another key",
			key.Proof(
				"GET",
				u,
				token,
				authtest.SignProofWithKey(other.Signer()),
				authtest.WithProofHeader("jwk", other.PublicJWK()),
			),
		},
		{"with the private key", key.Proof("GET", u, token, authtest.WithPrivateJWK())},
		{"alg none", key.Proof("GET", u, token, authtest.WithProofAlg("none"))},
		{"HS256", key.Proof("GET", u, token, authtest.SignProofWithSecret([]byte("secret")))},
	} {
		req := httptest.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "DPoP "+token)
		req.Header.Set("DPoP", hostile.proof)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(hostile.name, rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
	// Output:
	// too old 401 DPoP error="invalid_dpop_proof", algs="ES256 ES384 ES512 EdDSA RS256 PS256"
	// for another method 401 DPoP error="invalid_dpop_proof", algs="ES256 ES384 ES512 EdDSA RS256 PS256"
	// for another token 401 DPoP error="invalid_dpop_proof", algs="ES256 ES384 ES512 EdDSA RS256 PS256"
	// by another key 401 DPoP error="invalid_dpop_proof", algs="ES256 ES384 ES512 EdDSA RS256 PS256"
	// with the private key 401 DPoP error="invalid_dpop_proof", algs="ES256 ES384 ES512 EdDSA RS256 PS256"
	// alg none 401 DPoP error="invalid_dpop_proof", algs="ES256 ES384 ES512 EdDSA RS256 PS256"
	// HS256 401 DPoP error="invalid_dpop_proof", algs="ES256 ES384 ES512 EdDSA RS256 PS256"
}
