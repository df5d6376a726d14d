package core_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// The fuzz targets below check properties that must hold for every input,
// not answers to chosen inputs: they never panic, every error falls in
// exactly one documented category, nothing from the request is echoed, and
// no token the issuer did not sign is ever accepted. `go test` runs their
// seed corpora as ordinary tests; `go test -fuzz=FuzzX` explores further.

// fuzzCategories are the error categories of the package, in the order
// NewErrorResponse documents them.
var fuzzCategories = []error{
	core.ErrMissingToken,
	core.ErrInvalidRequest,
	core.ErrInvalidToken,
	core.ErrInsufficientScope,
	core.ErrForbidden,
	core.ErrKeysUnavailable,
}

// fuzzCategory returns the one category err matches, or fails the test if
// it matches none or several.
func fuzzCategory(t *testing.T, err error) error {
	t.Helper()
	var matched []error
	for _, c := range fuzzCategories {
		if errors.Is(err, c) {
			matched = append(matched, c)
		}
	}
	if len(matched) != 1 {
		t.Fatalf("error %q matches %d categories %v, want exactly one", err, len(matched), matched)
	}
	return matched[0]
}

// fuzzB64TokenChar reports whether c may appear in a bearer token: RFC 6750's
// b64token alphabet, plus "=" which ExtractToken accepts anywhere.
func fuzzB64TokenChar(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		strings.IndexByte("-._~+/=", c) >= 0
}

// fuzzWantToken is what ExtractToken must make of one candidate token, as
// its documentation and RFC 6750 describe it.
func fuzzWantToken(cand string, maxSize int) (string, error) {
	switch {
	case cand == "":
		return "", core.ErrInvalidRequest
	case len(cand) > maxSize:
		return "", core.ErrInvalidToken
	case strings.TrimRight(cand, "=") == "":
		return "", core.ErrInvalidRequest
	}
	for i := 0; i < len(cand); i++ {
		if !fuzzB64TokenChar(cand[i]) {
			return "", core.ErrInvalidRequest
		}
	}
	return cand, nil
}

// FuzzExtractToken feeds ExtractToken arbitrary Authorization headers (none,
// one or two) and Cookie headers. Properties: it never panics; it returns
// either a token and no error or an error in exactly one of ErrMissingToken,
// ErrInvalidRequest, ErrInvalidToken; a token is a substring of the header
// it came from, made of b64token characters, no longer than the cap; the
// header wins over the cookie; the answer is the one RFC 6750 and the
// documentation give (with net/http's cookie parser as the oracle for
// cookies); and an error never echoes the input.
func FuzzExtractToken(f *testing.F) {
	env := authcases.NewEnv(f)
	for _, c := range authcases.Cases(env) {
		var auth [2]string
		copy(auth[:], c.Auth)
		var cookies []string
		for _, v := range c.Cookies {
			cookies = append(cookies, core.DefaultCookieName+"="+v)
		}
		f.Add(uint8(len(c.Auth)), auth[0], auth[1], strings.Join(cookies, "; "), true, uint16(0))
	}
	valid := env.Issuer.MustMint(nil)
	for _, auth := range []string{
		"", "Bearer", "Bearer ", "bearer  " + valid, "BEARER " + valid, "Bearer\t" + valid,
		"Bearer " + valid + " ", "Bearer " + valid + ",", "Bearer ====", "Bearer a=b=c", "Bearer abc==",
		"Bearer ~+/._-", "Bearer tök", "Bearer \x00", "Bearer \"" + valid + "\"",
		"Bearer " + valid + "\r\nX-Injected: 1",
		"Basic dXNlcjpwYXNz", "Bearer" + valid, " Bearer " + valid,
		"Bearer " + strings.Repeat("A", core.DefaultMaxTokenSize+1),
		"DPoP " + valid, "Bearer\u00a0" + valid,
	} {
		f.Add(uint8(1), auth, "", "", true, uint16(0))
		f.Add(uint8(2), auth, "Bearer "+valid, "", true, uint16(64))
	}
	for _, cookie := range []string{
		core.DefaultCookieName + `="` + valid + `"`,
		core.DefaultCookieName + "=" + valid + "; " + core.DefaultCookieName + "=" + valid,
		strings.ToUpper(core.DefaultCookieName) + "=" + valid,
		core.DefaultCookieName + "=",
		core.DefaultCookieName + "=a b",
		core.DefaultCookieName + "=a,b; other=1",
		"other=1; " + core.DefaultCookieName + "=" + valid + ";",
		core.DefaultCookieName + "===",
		core.DefaultCookieName,
		";;;",
	} {
		f.Add(uint8(0), "", "", cookie, true, uint16(0))
		f.Add(uint8(0), "", "", cookie, false, uint16(16))
	}

	f.Fuzz(func(t *testing.T, nAuth uint8, auth1, auth2, cookie string, cookiesOn bool, maxSize uint16) {
		limit := int(maxSize)
		if limit == 0 {
			limit = core.DefaultMaxTokenSize
		}
		cookieName := ""
		if cookiesOn {
			cookieName = core.DefaultCookieName
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		switch nAuth % 3 {
		case 1:
			r.Header["Authorization"] = []string{auth1}
		case 2:
			r.Header["Authorization"] = []string{auth1, auth2}
		}
		if cookie != "" {
			r.Header["Cookie"] = []string{cookie}
		}

		tok, src, err := core.ExtractToken(r, cookieName, limit)

		// Exactly one of a token or an error.
		if (tok == "") == (err == nil) {
			t.Fatalf("token %q with error %v: want exactly one", tok, err)
		}
		if err != nil {
			if src != 0 {
				t.Errorf("source %v with an error", src)
			}
			switch cat := fuzzCategory(t, err); cat {
			case core.ErrMissingToken, core.ErrInvalidRequest, core.ErrInvalidToken:
			default:
				t.Fatalf("error %q is %v, not a request-level category", err, cat)
			}
			// The messages are fixed sentences without digits, dots or "=",
			// so an input holding one can only be in a message if echoed.
			for _, in := range []string{auth1, auth2, cookie} {
				if len(in) > 16 && strings.ContainsAny(in, ".=0123456789") && strings.Contains(err.Error(), in) {
					t.Errorf("error %q echoes the input %q", err, in)
				}
			}
		} else {
			var from string
			switch src {
			case core.FromHeader:
				from = auth1
			case core.FromCookie:
				from = cookie
			default:
				t.Fatalf("token with source %v", src)
			}
			if !strings.Contains(from, tok) {
				t.Errorf("token %q is not part of its header %q", tok, from)
			}
			if len(tok) > limit {
				t.Errorf("token of %d bytes exceeds the cap %d", len(tok), limit)
			}
			if strings.TrimRight(tok, "=") == "" {
				t.Errorf("token %q has no character but padding", tok)
			}
			for i := 0; i < len(tok); i++ {
				if !fuzzB64TokenChar(tok[i]) {
					t.Fatalf("token %q holds %q, outside b64token", tok, tok[i])
				}
			}
		}

		// The answer the documentation gives.
		var want string
		var wantErr error
		var wantSrc core.TokenSource
		switch {
		case nAuth%3 == 2:
			wantErr = core.ErrInvalidRequest
		case nAuth%3 == 1:
			scheme, rest, _ := strings.Cut(auth1, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				wantErr = core.ErrInvalidRequest
				break
			}
			want, wantErr = fuzzWantToken(strings.TrimLeft(rest, " "), limit)
			wantSrc = core.FromHeader
		case cookieName == "":
			wantErr = core.ErrMissingToken
		default:
			switch cs := r.CookiesNamed(cookieName); {
			case len(cs) > 1:
				wantErr = core.ErrInvalidRequest
			case len(cs) == 0 || cs[0].Value == "":
				wantErr = core.ErrMissingToken
			default:
				want, wantErr = fuzzWantToken(cs[0].Value, limit)
				wantSrc = core.FromCookie
			}
		}
		switch {
		case wantErr != nil && !errors.Is(err, wantErr):
			t.Errorf("got (%q, %v, %v), want an error matching %v", tok, src, err, wantErr)
		case wantErr == nil && (err != nil || tok != want || src != wantSrc):
			t.Errorf("got (%q, %v, %v), want (%q, %v)", tok, src, err, want, wantSrc)
		}
	})
}

// fuzzIssuerID is the issuer identifier of FuzzVerify's Validator. It is a
// constant, and so are the claims of the seed tokens, so that the fixed test
// keys mint the same seeds in every fuzzing process (ECDSA signatures aside,
// whose signing inputs still match): a seed valid in the coordinator is
// valid in every worker.
const fuzzIssuerID = "https://issuer.fuzz.example"

var (
	fuzzIAT = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	fuzzEXP = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// fuzzSign signs header.payload (raw JSON, encoded here) the way an issuer
// holding key would, for claims sets that authtest cannot express:
// duplicated members, escapes, odd whitespace.
func fuzzSign(f *testing.F, method jwt.SigningMethod, key crypto.Signer, header, payload string) string {
	f.Helper()
	input := base64.RawURLEncoding.EncodeToString(
		[]byte(header),
	) + "." + base64.RawURLEncoding.EncodeToString(
		[]byte(payload),
	)
	sig, err := method.Sign(input, key)
	if err != nil {
		f.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func fuzzSigningInput(token string) string {
	return token[:max(strings.LastIndexByte(token, '.'), 0)]
}

// FuzzVerify runs the whole verification path on arbitrary strings, against
// a real Validator that trusts a fake issuer on loopback with the fixed test
// keys. Properties: Verify never panics and returns within a few seconds;
// an error matches exactly one category, here always ErrInvalidToken (the
// keys are loaded and there are no rules), is a TokenError naming a
// documented check, and never contains the token or a long part of it; and
// Verify never accepts a token the issuer did not sign as valid: an accepted
// token's signing input (header.payload) must be that of one of the valid
// tokens minted below. The valid seeds minted by this process must be
// accepted, so that the property is not vacuous.
func FuzzVerify(f *testing.F) {
	iss := authtest.NewIssuer(authcases.IssuerOptions()...)
	f.Cleanup(iss.Close)
	v := authcases.NewValidator(f, core.Config{
		Issuer:     fuzzIssuerID,
		JWKSURL:    iss.JWKSURL(),
		Audience:   []string{authcases.Audience},
		Algorithms: []string{"RS256", "RS384", "ES256", "ES384", "EdDSA"},
		Logger:     authcases.Discard(),
	})

	jti := 0
	claims := func(over authtest.Claims) authtest.Claims {
		jti++
		c := authtest.Claims{"iss": fuzzIssuerID, "iat": fuzzIAT, "exp": fuzzEXP, "jti": fmt.Sprintf("fuzz-%d", jti)}
		maps.Copy(c, over)
		return c
	}
	mint := func(over authtest.Claims, opts ...authtest.MintOption) string {
		return iss.MustMint(claims(over), opts...)
	}

	validSigningInputs := map[string]bool{} // header.payload of every token that must be accepted
	mustAccept := map[string]bool{}         // the valid tokens, as minted by this process
	var seeds []string
	addValid := func(tok string) {
		validSigningInputs[fuzzSigningInput(tok)] = true
		mustAccept[tok] = true
		seeds = append(seeds, tok)
	}

	rsa1 := mint(nil)
	addValid(rsa1)
	rsa2 := mint(nil, authtest.SignWith(testkeys.KIDRSA2))
	addValid(rsa2)
	es256 := mint(nil, authtest.SignWith(testkeys.KIDEC))
	addValid(es256)
	addValid(mint(nil, authtest.SignWith(testkeys.KIDEC384)))
	addValid(mint(nil, authtest.SignWith(testkeys.KIDEd25519)))
	addValid(mint(nil, authtest.SignWith(testkeys.KIDEd25519), authtest.WithHeader("kid", nil)))
	addValid(mint(authtest.Claims{"aud": []string{"a", authcases.Audience}}))
	addValid(
		mint(
			authtest.Claims{
				"scope":          "read admin",
				"scp":            []string{"write"},
				"email":          "a@example.com",
				"email_verified": true,
				"org":            "o",
			},
		),
	)
	addValid(mint(authtest.Claims{"nbf": fuzzIAT, "iat": nil}))
	addValid(mint(authtest.Claims{"exp": float64(fuzzEXP.Unix()) + 0.5}))
	addValid(mint(nil, authtest.WithHeader("typ", "at+jwt")))
	addValid(
		mint(
			nil,
			authtest.WithHeader("jku", "http://127.0.0.1:1/jwks"),
			authtest.WithHeader("x5u", "http://127.0.0.1:1/x5u"),
		),
	)
	okClaims := fmt.Sprintf(
		`{"iss":%q,"aud":%q,"sub":"user-1","iat":%d,"exp":%d}`,
		fuzzIssuerID,
		authcases.Audience,
		fuzzIAT.Unix(),
		fuzzEXP.Unix(),
	)
	rsaHeader := `{"alg":"RS256","kid":"` + testkeys.KIDRSA + `","typ":"JWT"}`
	addValid(fuzzSign(
		f,
		jwt.SigningMethodRS256,
		testkeys.RSA(),
		" {\"alg\" : \"RS256\",\n\"kid\":\"rsa\\u002d1\"} ",
		fmt.Sprintf(
			`{ "\u0069ss" : %q , "aud":[%q], "sub":"\u0075ser", "exp":%d }`,
			fuzzIssuerID,
			authcases.Audience,
			fuzzEXP.Unix(),
		),
	))

	// Signed by the issuer's keys, yet invalid: accepting any is a failure.
	signedInvalid := []string{
		mint(nil, authtest.WithHeader("kid", nil)), // two RSA keys fit
		mint(nil, authtest.SignWith(authcases.KIDRSA1024)),
		mint(nil, authtest.WithAlg("RS384")), // the JWK says RS256
		mint(nil, authtest.SignWith(testkeys.KIDEC), authtest.WithHeader("kid", testkeys.KIDRSA)),
		mint(nil, authtest.WithHeader("alg", "RS384")),
		mint(nil, authtest.WithHeader("alg", "none")),
		mint(nil, authtest.WithHeader("crit", []string{"exp"})),
		mint(nil, authtest.WithHeader("b64", false)),
		mint(nil, authtest.WithHeader("zip", "DEF")),
		mint(nil, authtest.WithHeader("enc", "A128GCM")),
		mint(nil, authtest.WithHeader("cty", "JWT")),
		mint(nil, authtest.WithHeader("typ", "dpop+jwt")),
		mint(nil, authtest.WithHeader("typ", 1)),
		mint(nil, authtest.WithHeader("kid", "")),
		mint(nil, authtest.WithHeader("kid", 1)),
		mint(nil, authtest.WithHeader("kid", "no-such-kid")),
		mint(authtest.Claims{"exp": fuzzIAT}),
		mint(authtest.Claims{"exp": nil}),
		mint(authtest.Claims{"exp": fmt.Sprint(fuzzEXP.Unix())}),
		mint(authtest.Claims{"exp": 1e300}),
		mint(authtest.Claims{"exp": -1}),
		mint(authtest.Claims{"nbf": fuzzEXP}),
		mint(authtest.Claims{"iat": fuzzEXP}),
		mint(authtest.Claims{"iss": "https://evil.example"}),
		mint(authtest.Claims{"iss": nil}),
		mint(authtest.Claims{"iss": fuzzIssuerID + "/"}),
		mint(authtest.Claims{"iss": []string{fuzzIssuerID}}),
		mint(authtest.Claims{"aud": "other-api"}),
		mint(authtest.Claims{"aud": nil}),
		mint(authtest.Claims{"aud": strings.ToUpper(authcases.Audience)}),
		mint(authtest.Claims{"aud": []string{"a", "b"}}),
		mint(authtest.Claims{"aud": 1}),
		mint(authtest.Claims{"sub": nil}),
		mint(authtest.Claims{"sub": ""}),
		mint(authtest.Claims{"sub": 1}),
		mint(authtest.Claims{"jti": 1}),
		fuzzSign(
			f,
			jwt.SigningMethodRS256,
			testkeys.RSA(),
			rsaHeader,
			strings.Replace(okClaims, `"sub":"user-1"`, `"sub":"user-1","sub":"admin"`, 1),
		),
		fuzzSign(
			f,
			jwt.SigningMethodRS256,
			testkeys.RSA(),
			rsaHeader,
			strings.Replace(okClaims, `"aud":`, `"aud":"other","aud":`, 1),
		),
		fuzzSign(
			f,
			jwt.SigningMethodRS256,
			testkeys.RSA(),
			rsaHeader,
			strings.Replace(okClaims, `"iss":`, `"ISS":`, 1),
		),
		fuzzSign(f, jwt.SigningMethodRS256, testkeys.RSA(), rsaHeader, okClaims+" x"),
		fuzzSign(f, jwt.SigningMethodRS256, testkeys.RSA(), rsaHeader, "\ufeff"+okClaims),
		fuzzSign(
			f,
			jwt.SigningMethodRS256,
			testkeys.RSA(),
			rsaHeader,
			strings.Replace(okClaims, `"user-1"`, "\"user-\xff\"", 1),
		),
		fuzzSign(f, jwt.SigningMethodRS256, testkeys.RSA(), rsaHeader, `[`+okClaims+`]`),
		fuzzSign(f, jwt.SigningMethodRS256, testkeys.RSA(), rsaHeader, `null`),
		fuzzSign(f, jwt.SigningMethodRS256, testkeys.RSA(), rsaHeader, `{}`),
		fuzzSign(
			f,
			jwt.SigningMethodRS256,
			testkeys.RSA(),
			rsaHeader,
			strings.Replace(okClaims, `}`, `,"x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`}`, 1),
		),
		fuzzSign(f, jwt.SigningMethodRS256, testkeys.RSA(), `{"alg":"none","alg":"RS256","kid":"rsa-1"}`, okClaims),
		fuzzSign(f, jwt.SigningMethodRS256, testkeys.RSA(), `{"alg":"RS256","kid":"rsa-1","kid":"rsa-2"}`, okClaims),
		fuzzSign(f, jwt.SigningMethodRS256, testkeys.RSA(), `{"ALG":"RS256","kid":"rsa-1"}`, okClaims),
		fuzzSign(f, jwt.SigningMethodRS256, testkeys.RSA(), `["RS256"]`, okClaims),
	}

	// Not signed by the issuer at all.
	pub, err := x509.MarshalPKIXPublicKey(testkeys.RSA().Public())
	if err != nil {
		f.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	h, rest, _ := strings.Cut(rsa1, ".")
	payload, sig, _ := strings.Cut(rest, ".")
	_, rest2, _ := strings.Cut(rsa2, ".")
	_, sig2, _ := strings.Cut(rest2, ".")
	h2, _, _ := strings.Cut(rsa2, ".")
	enc := base64.RawURLEncoding.EncodeToString
	flip := func(s string) string {
		b := []byte(s)
		b[len(b)-1] ^= 1
		return string(b)
	}
	forged := []string{
		mint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), testkeys.KIDRSA)),
		mint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), "no-such-kid")),
		mint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), "")),
		mint(nil, authtest.SignWithSecret([]byte("secret"), testkeys.KIDRSA)),
		mint(nil, authtest.SignWithSecret(pubPEM, testkeys.KIDRSA)),
		mint(nil, authtest.SignWithSecret(pubPEM, "")),
		mint(nil, authtest.WithAlg("none")),
		enc([]byte(`{"alg":"none"}`)) + "." + payload + ".",
		enc([]byte(`{"alg":"none"}`)) + "." + payload + "." + sig,
		enc([]byte(`{"alg":"RS256","kid":"rsa-1","jwk":{"kty":"oct","k":"c2VjcmV0"}}`)) + "." + payload + "." + sig,
		h + "." + payload + ".",
		h + "." + payload + "." + sig2,
		h2 + "." + payload + "." + sig,
		h + "." + payload + "A." + sig,
		h + "." + payload + "." + flip(sig),
		h + "." + payload + "." + sig + "=",
		h + "==." + payload + "." + sig,
		strings.NewReplacer("-", "+", "_", "/").Replace(rsa1) + "+/",
		rsa1 + "." + strings.Repeat("A", core.DefaultMaxTokenSize),
		rsa1 + ".",
		rsa1 + "..",
		"." + rsa1,
		strings.ToLower(rsa1),
		fuzzSigningInput(es256) + "." + strings.Repeat("A", 86),
		"eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d",
		"a.b.c", "..", ".", "", "a", "a..b", "a.b.", ".b.c",
		enc([]byte("not json")) + "." + payload + "." + sig,
		enc([]byte(`{"alg":"RS256"`)) + "." + payload + "." + sig,
		enc([]byte(`{"alg":"RS256","kid":"rsa-1"}`)) + "." + enc([]byte("{")) + "." + sig,
		enc([]byte(`{"alg":"RS256","kid":"`+strings.Repeat("k", 4096)+`"}`)) + "." + payload + "." + sig,
		h + "\n." + payload + "." + sig,
		h + " ." + payload + "." + sig,
	}
	seeds = append(seeds, signedInvalid...)
	seeds = append(seeds, forged...)
	for _, h := range authcases.HostileTokens() {
		seeds = append(seeds, h.Token)
	}
	for _, s := range seeds {
		f.Add(s)
	}

	docChecks := []core.Check{
		core.CheckSize,
		core.CheckFormat,
		core.CheckHeader,
		core.CheckAlg,
		core.CheckKID,
		core.CheckKey,
		core.CheckSignature,
		core.CheckClaims,
		core.CheckExp,
		core.CheckNbf,
		core.CheckIat,
		core.CheckIss,
		core.CheckAud,
		core.CheckSub,
		core.CheckJTI,
	} // jti: decodeClaims refuses a non-string jti under its own name
	f.Fuzz(func(t *testing.T, token string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		c, err := v.Verify(ctx, token)
		// An unknown kid waits at most UnknownKIDWait (1s) for a refresh;
		// the rest is slack for a busy machine, the bound is for a hang.
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Verify took %v", d)
		}

		if err == nil {
			if c == nil {
				t.Fatal("no error and no claims")
			}
			if !validSigningInputs[fuzzSigningInput(token)] {
				t.Fatalf("accepted a token the issuer never signed as valid: %q", token)
			}
			if c.Subject == "" || c.Issuer != fuzzIssuerID || !slices.Contains(c.Audience, authcases.Audience) ||
				!c.ExpiresAt.After(time.Now()) {
				t.Errorf("accepted claims that do not pass the checks: %+v", c)
			}
			return
		}
		if c != nil {
			t.Errorf("claims %+v with error %v", c, err)
		}
		if mustAccept[token] {
			t.Fatalf("refused a valid token: %v", err)
		}
		if cat := fuzzCategory(t, err); cat != core.ErrInvalidToken {
			t.Fatalf("error %q is %v, want %v", err, cat, core.ErrInvalidToken)
		}
		var te *core.TokenError
		if !errors.As(err, &te) {
			t.Fatalf("error %q (%T) is not a *core.TokenError", err, err)
		}
		if !slices.Contains(docChecks, te.Check) || te.Description == "" {
			t.Errorf("TokenError{Check: %q, Description: %q}", te.Check, te.Description)
		}
		msg := err.Error()
		if len(token) > 16 && strings.Contains(msg, token) {
			t.Fatalf("error %q echoes the token", msg)
		}
		for seg := range strings.SplitSeq(token, ".") {
			if len(seg) >= 24 && strings.Contains(msg, seg) {
				t.Fatalf("error %q echoes part of the token: %q", msg, seg)
			}
		}
	})
}

// fuzzSafe reports whether r may appear in error_description or a quoted
// challenge value (RFC 6750 section 3: %x20-21 / %x23-5B / %x5D-7E).
func fuzzSafe(r rune) bool {
	return r == 0x20 || r == 0x21 || 0x23 <= r && r <= 0x5B || 0x5D <= r && r <= 0x7E
}

// fuzzScopeChar reports whether r may appear in a scope-token (RFC 6749 3.3).
func fuzzScopeChar(r rune) bool { return r != ' ' && fuzzSafe(r) }

// fuzzReplaceUnsafe is the documented treatment of descriptions: unsafe
// characters (and each byte of invalid UTF-8) become "?".
func fuzzReplaceUnsafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		if fuzzSafe(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// fuzzKeep drops the characters keep refuses, as the challenge does with the
// realm and scopes.
func fuzzKeep(s string, keep func(rune) bool) string {
	return strings.Map(func(r rune) rune {
		if r != '\uFFFD' && keep(r) {
			return r
		}
		return -1
	}, s)
}

// fuzzChallengeValues parses a challenge as `Bearer name="value"(, name="value")*`
// and returns its values; ok is false if the challenge is not of that shape
// or a value holds an unsafe character.
func fuzzChallengeValues(ch string) (values map[string]string, ok bool) {
	rest, found := strings.CutPrefix(ch, "Bearer ")
	if !found {
		return nil, false
	}
	values = map[string]string{}
	for rest != "" {
		name, after, found := strings.Cut(rest, `="`)
		if !found || (name != "realm" && name != "error" && name != "scope") {
			return nil, false
		}
		value, after, found := strings.Cut(after, `"`)
		if !found || strings.ContainsFunc(value, func(r rune) bool { return !fuzzSafe(r) }) {
			return nil, false
		}
		if _, dup := values[name]; dup {
			return nil, false
		}
		values[name] = value
		if after != "" {
			if after, found = strings.CutPrefix(after, ", "); !found || after == "" {
				return nil, false
			}
		}
		rest = after
	}
	return values, true
}

// FuzzErrorResponse puts arbitrary descriptions, scopes and realms into every
// kind of error, bare or wrapped, and checks NewErrorResponse: it never
// panics; the status is 400, 401, 403 or 503 as documented for the
// category; WWW-Authenticate is `Bearer name="value", ...` with RFC 6750-safe
// values (no CR, LF, quote or backslash inside) and exactly the expected
// sanitised content; error_description holds only safe characters and is
// the sanitised input; the body is JSON with exactly "error" (when there is
// a code) and "error_description", equal to Code and Description; Write sends
// exactly that; and no input holding an unsafe character appears verbatim.
func FuzzErrorResponse(f *testing.F) {
	for kind := range uint8(8) {
		for wrap := range uint8(3) {
			f.Add(kind, wrap, "the token has expired", "identsphere", "admin", "write")
		}
	}
	for _, s := range []string{
		"line\r\nX-Injected: 1", `"quoted" \ backslash`, "ünïcode \u2028 \x00 \x7f", "\xff\xfe invalid UTF-8",
		`", error="injected`, `"},"error":"x`, "<script>&amp;</script>", "", " ", "?", strings.Repeat("é", 300),
	} {
		for kind := range uint8(8) {
			f.Add(kind, uint8(1), s, s, s, "read "+s)
		}
	}

	f.Fuzz(func(t *testing.T, kind, wrap uint8, desc, realm, scope1, scope2 string) {
		var (
			err        error
			status     int
			code       string
			fromInput  bool // the description is desc, sanitised; else a fixed sentence
			challenge  string
			retryAfter string
		)
		switch kind % 8 {
		case 0:
			err = &core.RequestError{Description: desc}
			status, code, fromInput, challenge = 400, "invalid_request", true, `Bearer error="invalid_request"`
		case 1:
			err = &core.PolicyError{Rule: core.Check(scope1), Description: desc, Err: errors.New(scope2)}
			status, code, fromInput = 403, "forbidden", true
		case 2:
			err = &core.ScopeError{Required: []string{scope1, scope2}}
			var scopes []string
			for _, s := range []string{scope1, scope2} {
				if s = fuzzKeep(s, fuzzScopeChar); s != "" {
					scopes = append(scopes, s)
				}
			}
			status, code = 403, "insufficient_scope"
			challenge = `Bearer error="insufficient_scope", scope="` + strings.Join(scopes, " ") + `"`
		case 3:
			err = &core.TokenError{Check: core.Check(scope1), Description: desc, Err: errors.New(scope2)}
			status, code, fromInput, challenge = 401, "invalid_token", true, `Bearer error="invalid_token"`
		case 4:
			err = core.ErrMissingToken
			status, challenge = 401, `Bearer realm="`+fuzzKeep(realm, fuzzSafe)+`"`
		case 5:
			err = core.ErrKeysUnavailable
			status, code, retryAfter = 503, "temporarily_unavailable", "5"
		case 6: // not one of ours: fail closed
			err = errors.New(desc)
			status, code, challenge = 401, "invalid_token", `Bearer error="invalid_token"`
		case 7: // a rule's own error, normalised by CheckRules
			err = core.CheckRules(
				context.Background(),
				&core.Claims{Subject: "u"},
				func(context.Context, *core.Claims) error {
					return errors.New(desc)
				},
			)
			status, code = 403, "forbidden"
		}
		switch wrap % 3 {
		case 1:
			err = fmt.Errorf("%s: %w", desc, err)
		case 2:
			err = errors.Join(errors.New(desc), err)
		}

		r := core.NewErrorResponse(err, realm)

		switch r.Status {
		case 400, 401, 403, 503:
		default:
			t.Fatalf("status %d", r.Status)
		}
		if r.Status != status || r.Code != code || r.WWWAuthenticate != challenge || r.RetryAfter != retryAfter {
			t.Errorf(
				"got %d %q %q Retry-After %q, want %d %q %q %q",
				r.Status,
				r.Code,
				r.WWWAuthenticate,
				r.RetryAfter,
				status,
				code,
				challenge,
				retryAfter,
			)
		}
		if strings.ContainsFunc(r.Description, func(r rune) bool { return !fuzzSafe(r) }) {
			t.Errorf("unsafe description %q", r.Description)
		}
		want := fuzzReplaceUnsafe(desc)
		if strings.TrimSpace(desc) == "" {
			want = http.StatusText(status) // a blank description is never sent
		}
		switch {
		case fromInput && r.Description != want:
			t.Errorf("description %q, want %q", r.Description, want)
		case !fromInput && r.Description == "":
			t.Error("no description")
		}
		var quoted []string
		if r.WWWAuthenticate != "" {
			values, ok := fuzzChallengeValues(r.WWWAuthenticate)
			if !ok {
				t.Fatalf("malformed or unsafe challenge %q", r.WWWAuthenticate)
			}
			quoted = slices.Collect(maps.Values(values))
		}
		for _, in := range []string{desc, realm, scope1, scope2} {
			if in == "" || !strings.ContainsFunc(in, func(r rune) bool { return !fuzzSafe(r) }) {
				continue
			}
			for _, out := range append(quoted, r.Description) {
				if strings.Contains(out, in) {
					t.Errorf("unsanitised input %q in %q", in, out)
				}
			}
		}

		var body map[string]any
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatalf("body %q is not JSON: %v", r.Body, err)
		}
		wantKeys := 1
		if r.Code != "" {
			wantKeys = 2
			if body["error"] != r.Code {
				t.Errorf("body error %v, want %q", body["error"], r.Code)
			}
		}
		if len(body) != wantKeys || body["error_description"] != r.Description {
			t.Errorf("body %q, want error %q and error_description %q only", r.Body, r.Code, r.Description)
		}

		rec := httptest.NewRecorder()
		r.Write(rec)
		if rec.Code != r.Status || rec.Header().Get("WWW-Authenticate") != r.WWWAuthenticate ||
			rec.Header().Get("Retry-After") != r.RetryAfter || rec.Body.String() != string(r.Body) {
			t.Errorf("Write sent %d %v %q, want %+v", rec.Code, rec.Header(), rec.Body, r)
		}
	})
}
