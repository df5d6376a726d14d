package authtest_test

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

func TestMintVerifiesAgainstLiveJWKSForEveryKeyType(t *testing.T) {
	tests := []struct {
		kid string
		key crypto.Signer
		alg string
	}{
		{testkeys.KIDRSA, testkeys.RSA(), "RS256"},
		{testkeys.KIDEC, testkeys.EC(), "ES256"},
		{testkeys.KIDEC384, testkeys.EC384(), "ES384"},
		{testkeys.KIDEC521, testkeys.EC521(), "ES512"},
		{testkeys.KIDEd25519, testkeys.Ed25519(), "EdDSA"},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			iss := newIssuer(t, authtest.WithKey(tt.kid, tt.key))
			token := iss.MustMint(nil)

			parsed, err := verifyWithLiveJWKS(t, iss, token)
			if err != nil {
				t.Fatalf("token does not verify against the live JWKS: %v", err)
			}
			if got := parsed.Method.Alg(); got != tt.alg {
				t.Errorf("alg %q, want %q", got, tt.alg)
			}
			h := header(t, token)
			if h["kid"] != tt.kid || h["typ"] != "JWT" || h["alg"] != tt.alg {
				t.Errorf("header %v, want kid %q, typ JWT, alg %q", h, tt.kid, tt.alg)
			}
		})
	}
}

func TestMintDefaultClaims(t *testing.T) {
	iss := newIssuer(t, authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithTokenTTL(10*time.Minute), authtest.WithAudience("my-api"))
	before := time.Now().Unix()
	token := iss.MustMint(nil)
	after := time.Now().Unix()
	c := claims(t, token)

	if c["iss"] != iss.URL() {
		t.Errorf("iss %v, want %q", c["iss"], iss.URL())
	}
	if c["aud"] != "my-api" || iss.Audience() != "my-api" {
		t.Errorf("aud %v, Audience() %q, want my-api", c["aud"], iss.Audience())
	}
	if c["sub"] != authtest.DefaultSubject {
		t.Errorf("sub %v, want %q", c["sub"], authtest.DefaultSubject)
	}
	iat, _ := c["iat"].(float64)
	if int64(iat) < before || int64(iat) > after {
		t.Errorf("iat %v, want within [%d, %d]", c["iat"], before, after)
	}
	exp, _ := c["exp"].(float64)
	if int64(exp)-int64(iat) != 600 {
		t.Errorf("exp-iat = %v, want 600 (the TTL)", exp-iat)
	}
	if _, ok := c["nbf"]; ok {
		t.Errorf("nbf present (%v), want absent by default", c["nbf"])
	}
	jti, _ := c["jti"].(string)
	if len(jti) < 16 {
		t.Errorf("jti %q, want a random string of at least 16 characters", jti)
	}
	if other := claims(t, iss.MustMint(nil))["jti"]; other == jti {
		t.Errorf("two tokens share jti %q", jti)
	}
}

func TestMintDefaultAudience(t *testing.T) {
	iss := newIssuer(t)
	if iss.Audience() != authtest.DefaultAudience || claims(t, iss.MustMint(nil))["aud"] != authtest.DefaultAudience {
		t.Fatalf("default audience is not %q", authtest.DefaultAudience)
	}
}

func TestMintClaimsOverrideRemoveAndConvertTimes(t *testing.T) {
	iss := newIssuer(t)
	nbf := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	c := claims(t, iss.MustMint(authtest.Claims{
		"sub":   "alice",
		"aud":   []string{"a", "b"},
		"exp":   nil,
		"jti":   nil,
		"nbf":   nbf,
		"roles": []string{"admin"},
	}))
	if c["sub"] != "alice" {
		t.Errorf("sub %v, want alice", c["sub"])
	}
	if aud, _ := c["aud"].([]any); len(aud) != 2 || aud[0] != "a" || aud[1] != "b" {
		t.Errorf("aud %v, want [a b]", c["aud"])
	}
	for _, removed := range []string{"exp", "jti"} {
		if v, ok := c[removed]; ok {
			t.Errorf("%s = %v, want removed by a nil value", removed, v)
		}
	}
	if c["nbf"] != float64(nbf.Unix()) {
		t.Errorf("nbf %v, want NumericDate %d", c["nbf"], nbf.Unix())
	}
	if roles, _ := c["roles"].([]any); len(roles) != 1 || roles[0] != "admin" {
		t.Errorf("roles %v, want [admin]", c["roles"])
	}
	if c["iss"] != iss.URL() {
		t.Errorf("iss %v: a default not named in claims must survive", c["iss"])
	}
}

func TestMintDoesNotModifyCallerClaims(t *testing.T) {
	iss := newIssuer(t)
	in := authtest.Claims{"exp": nil, "sub": "bob"}
	iss.MustMint(in)
	if len(in) != 2 || in["sub"] != "bob" {
		t.Fatalf("claims changed to %v", in)
	}
	if _, ok := in["exp"]; !ok {
		t.Fatal("the nil entry was removed from the caller's map")
	}
}

func TestWithHeaderOverridesAndRemoves(t *testing.T) {
	iss := newIssuer(t)
	token := iss.MustMint(nil,
		authtest.WithHeader("kid", nil),
		authtest.WithHeader("typ", "at+jwt"),
		authtest.WithHeader("jku", "https://attacker.example/jwks.json"),
	)
	h := header(t, token)
	if _, ok := h["kid"]; ok {
		t.Errorf("kid %v, want removed", h["kid"])
	}
	if h["typ"] != "at+jwt" || h["jku"] != "https://attacker.example/jwks.json" {
		t.Errorf("header %v, want typ at+jwt and the jku set", h)
	}
	// The signature is still a valid RS256 signature by the issuer's key.
	if _, err := jwt.Parse(
		token,
		rsaKeyfunc(&testkeys.RSA().PublicKey),
		jwt.WithValidMethods([]string{"RS256"}),
	); err != nil {
		t.Errorf("token with edited header does not verify: %v", err)
	}
}

func TestWithHeaderAlgChangesOnlyTheHeader(t *testing.T) {
	iss := newIssuer(t)
	token := iss.MustMint(nil, authtest.WithHeader("alg", "ES256"))
	if got := header(t, token)["alg"]; got != "ES256" {
		t.Fatalf("header alg %v, want ES256", got)
	}
	// The signature was made with RS256 over the edited header.
	i := strings.LastIndex(token, ".")
	sig, err := jwt.NewParser().DecodeSegment(token[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	if err := jwt.SigningMethodRS256.Verify(token[:i], sig, &testkeys.RSA().PublicKey); err != nil {
		t.Fatalf("signature is not RS256 by the issuer key: %v", err)
	}
	if _, err := verifyWithLiveJWKS(t, iss, token); err == nil {
		t.Fatal("a token whose header lies about alg verified")
	}
}

func TestSignWithKeyForgesWithAttackerKey(t *testing.T) {
	iss := newIssuer(t)
	forged := iss.MustMint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), testkeys.KIDRSA))

	if got := header(t, forged)["kid"]; got != testkeys.KIDRSA {
		t.Fatalf("kid %v, want the published %q", got, testkeys.KIDRSA)
	}
	if _, err := verifyWithLiveJWKS(t, iss, forged); !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
		t.Fatalf("forged token: error %v, want ErrTokenSignatureInvalid", err)
	}
	if _, err := jwt.Parse(
		forged,
		rsaKeyfunc(&testkeys.AttackerRSA().PublicKey),
		jwt.WithValidMethods([]string{"RS256"}),
	); err != nil {
		t.Fatalf("forged token is not signed by the attacker key: %v", err)
	}

	noKID := iss.MustMint(nil, authtest.SignWithKey(testkeys.EC(), ""))
	h := header(t, noKID)
	if _, ok := h["kid"]; ok || h["alg"] != "ES256" {
		t.Fatalf("header %v, want no kid and alg ES256 inferred from the key", h)
	}
}

func TestSignWithRemovedKey(t *testing.T) {
	iss := newIssuer(t)
	iss.AddKey(testkeys.KIDRSA2, testkeys.RSA2())
	iss.RemoveKey(testkeys.KIDRSA2)

	token := iss.MustMint(nil, authtest.SignWith(testkeys.KIDRSA2))
	if got := header(t, token)["kid"]; got != testkeys.KIDRSA2 {
		t.Fatalf("kid %v, want %q", got, testkeys.KIDRSA2)
	}
	if _, err := jwt.Parse(
		token,
		rsaKeyfunc(&testkeys.RSA2().PublicKey),
		jwt.WithValidMethods([]string{"RS256"}),
	); err != nil {
		t.Fatalf("token is not signed by the removed key: %v", err)
	}
	if _, err := verifyWithLiveJWKS(t, iss, token); err == nil {
		t.Fatal("a token signed by an unpublished key verified against the JWKS")
	}
}

func TestWithAlg(t *testing.T) {
	tests := []struct {
		alg string
		key crypto.Signer
	}{
		{"RS384", testkeys.RSA()},
		{"RS512", testkeys.RSA()},
		{"PS256", testkeys.RSA()},
		{"PS384", testkeys.RSA()},
		{"PS512", testkeys.RSA()},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			iss := newIssuer(t, authtest.WithKey(testkeys.KIDRSA, tt.key))
			token := iss.MustMint(nil, authtest.WithAlg(tt.alg))
			if got := header(t, token)["alg"]; got != tt.alg {
				t.Fatalf("header alg %v, want %s", got, tt.alg)
			}
			if _, err := jwt.Parse(
				token,
				rsaKeyfunc(&testkeys.RSA().PublicKey),
				jwt.WithValidMethods([]string{tt.alg}),
			); err != nil {
				t.Fatalf("does not verify as %s: %v", tt.alg, err)
			}
		})
	}
}

func TestWithAlgNoneMintsUnsignedToken(t *testing.T) {
	iss := newIssuer(t)
	token := iss.MustMint(nil, authtest.WithAlg("none"))
	if !strings.HasSuffix(token, ".") {
		t.Fatalf("token %q, want an empty signature", token)
	}
	if h := header(t, token); h["alg"] != "none" || h["kid"] != testkeys.KIDRSA {
		t.Fatalf("header %v, want alg none and the default kid", h)
	}
	if _, err := verifyWithLiveJWKS(t, iss, token); err == nil {
		t.Fatal("an unsigned token verified")
	}
}

func TestSignWithSecret(t *testing.T) {
	iss := newIssuer(t)
	secret := []byte("0123456789abcdef0123456789abcdef")
	for _, alg := range []string{"HS256", "HS512"} {
		t.Run(alg, func(t *testing.T) {
			var opts []authtest.MintOption
			if alg != "HS256" {
				opts = append(opts, authtest.WithAlg(alg))
			}
			token := iss.MustMint(nil, append(opts, authtest.SignWithSecret(secret, testkeys.KIDRSA))...)
			if h := header(t, token); h["alg"] != alg || h["kid"] != testkeys.KIDRSA {
				t.Fatalf("header %v, want alg %s and kid %s", h, alg, testkeys.KIDRSA)
			}
			_, err := jwt.Parse(
				token,
				func(*jwt.Token) (any, error) { return secret, nil },
				jwt.WithValidMethods([]string{alg}),
			)
			if err != nil {
				t.Fatalf("does not verify with the secret: %v", err)
			}
			if _, err := verifyWithLiveJWKS(t, iss, token); err == nil {
				t.Fatal("an HMAC token verified against the RSA JWKS")
			}
		})
	}
}

func TestLastSigningOptionWins(t *testing.T) {
	iss := newIssuer(t)
	token := iss.MustMint(nil,
		authtest.SignWithKey(testkeys.AttackerRSA(), "x"),
		authtest.SignWith(testkeys.KIDRSA),
	)
	if _, err := verifyWithLiveJWKS(t, iss, token); err != nil {
		t.Fatalf("SignWith after SignWithKey did not take over: %v", err)
	}
}

func TestMintErrors(t *testing.T) {
	iss := newIssuer(t)
	tests := []struct {
		name string
		opts []authtest.MintOption
		want string
	}{
		{"unknown kid", []authtest.MintOption{authtest.SignWith("nope")}, `SignWith("nope")`},
		{"unknown alg", []authtest.MintOption{authtest.WithAlg("XX999")}, `unknown alg "XX999"`},
		{"alg of another key type", []authtest.MintOption{authtest.WithAlg("ES256")}, "signing with ES256"},
		{"HMAC alg with RSA key", []authtest.MintOption{authtest.WithAlg("HS256")}, "signing with HS256"},
		{
			"curve mismatch",
			[]authtest.MintOption{authtest.SignWithKey(testkeys.EC(), ""), authtest.WithAlg("ES384")},
			"signing with ES384",
		},
		{
			"unsupported key",
			[]authtest.MintOption{authtest.SignWithKey(opaqueSigner{testkeys.RSA()}, "")},
			"unsupported key type",
		},
		{"nil key", []authtest.MintOption{authtest.SignWithKey(nil, "")}, "nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, err := iss.Mint(nil, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Mint = %q, %v; want an error containing %q", token, err, tt.want)
			}
			if token != "" {
				t.Fatalf("Mint returned token %q along with an error", token)
			}
			mustPanic(t, tt.want, func() { iss.MustMint(nil, tt.opts...) })
		})
	}
}

// opaqueSigner hides the concrete key type, as an HSM or KMS signer would.
type opaqueSigner struct{ crypto.Signer }

func rsaKeyfunc(pub *rsa.PublicKey) jwt.Keyfunc {
	return func(*jwt.Token) (any, error) { return pub, nil }
}
