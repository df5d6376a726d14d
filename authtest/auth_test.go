package authtest_test

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

func post(
	t *testing.T,
	iss *authtest.Issuer,
	path, contentType, body string,
	cookies ...*http.Cookie,
) (*http.Response, []byte) {
	t.Helper()
	req := mustRequest(t, http.MethodPost, iss.URL()+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return do(t, newClient(t), req)
}

func postJSON(t *testing.T, iss *authtest.Issuer, path, body string, cookies ...*http.Cookie) (*http.Response, []byte) {
	t.Helper()
	return post(t, iss, path, "application/json", body, cookies...)
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

func sessionCookie(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == authtest.CookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", authtest.CookieName, resp.Header["Set-Cookie"])
	return nil
}

// login logs in through the HTTP endpoint and returns the answer.
func login(t *testing.T, iss *authtest.Issuer, email string) (*http.Response, tokenResponse) {
	t.Helper()
	resp, body := postJSON(t, iss, "/v1/auth/login", `{"email":"`+email+`","password":"pw"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		t.Fatalf("login answer %s: %v", body, err)
	}
	return resp, tr
}

func TestSubjectFor(t *testing.T) {
	// sha256("alice@example.com") starts with ff8d9819.
	for _, email := range []string{"alice@example.com", " Alice@Example.COM "} {
		if got := authtest.SubjectFor(email); got != "user-ff8d9819" {
			t.Errorf("SubjectFor(%q) = %q, want user-ff8d9819", email, got)
		}
	}
	if authtest.SubjectFor("bob@example.com") == authtest.SubjectFor("alice@example.com") {
		t.Error("two emails map to the same subject")
	}
}

func TestLoginAndSignupIssueSession(t *testing.T) {
	for _, path := range []string{"/v1/auth/login", "/v1/auth/signup"} {
		t.Run(path, func(t *testing.T) {
			iss := newIssuer(t, authtest.WithKey(testkeys.KIDEC, testkeys.EC()), authtest.WithTokenTTL(15*time.Minute))
			resp, body := postJSON(t, iss, path, `{"email":" Alice@Example.com ","password":"x"}`)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store on a token answer", cc)
			}
			var tr tokenResponse
			if err := json.Unmarshal(body, &tr); err != nil {
				t.Fatal(err)
			}
			if tr.TokenType != "Bearer" || tr.ExpiresIn != 900 {
				t.Errorf("answer %+v, want Bearer and expires_in 900", tr)
			}
			if _, err := verifyWithLiveJWKS(t, iss, tr.AccessToken); err != nil {
				t.Fatalf("access token does not verify: %v", err)
			}
			c := claims(t, tr.AccessToken)
			want := map[string]any{
				"sub": "user-ff8d9819", "email": "alice@example.com", "email_verified": true,
				"org": authtest.DevOrg, "scope": authtest.DevScope,
			}
			for k, v := range want {
				if c[k] != v {
					t.Errorf("claim %s = %v, want %v", k, c[k], v)
				}
			}

			ck := sessionCookie(t, resp)
			if ck.Value != tr.AccessToken || !ck.HttpOnly || ck.Secure || ck.SameSite != http.SameSiteLaxMode ||
				ck.Path != "/" || ck.MaxAge != 900 {
				t.Errorf(
					"cookie %+v, want the token, HttpOnly, not Secure over plain HTTP, Lax, Path /, Max-Age 900",
					ck,
				)
			}
		})
	}
}

func TestLoginAcceptsJSONWithCharset(t *testing.T) {
	iss := newIssuer(t)
	resp, body := post(t, iss, "/v1/auth/login", "application/json; charset=utf-8", `{"email":"a@b.c","password":"x"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

func TestLoginRejectsBadRequests(t *testing.T) {
	iss := newIssuer(t)
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
	}{
		{"missing email", "application/json", `{"password":"x"}`, http.StatusBadRequest},
		{"blank email", "application/json", `{"email":"  ","password":"x"}`, http.StatusBadRequest},
		{"empty password", "application/json", `{"email":"a@b.c","password":""}`, http.StatusBadRequest},
		{"missing password", "application/json", `{"email":"a@b.c"}`, http.StatusBadRequest},
		{"malformed JSON", "application/json", `{"email":`, http.StatusBadRequest},
		{"not an object", "application/json", `["a@b.c","x"]`, http.StatusBadRequest},
		{"trailing data", "application/json", `{"email":"a@b.c","password":"x"}{}`, http.StatusBadRequest},
		{
			"too large",
			"application/json",
			`{"email":"a@b.c","password":"` + strings.Repeat("x", 64<<10) + `"}`,
			http.StatusRequestEntityTooLarge,
		},
		{"form body", "application/x-www-form-urlencoded", `email=a@b.c&password=x`, http.StatusUnsupportedMediaType},
		{"text/plain JSON", "text/plain", `{"email":"a@b.c","password":"x"}`, http.StatusUnsupportedMediaType},
		{"no content type", "", `{"email":"a@b.c","password":"x"}`, http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, iss, "/v1/auth/login", tt.contentType, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, body, tt.status)
			}
			var e struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Error != "invalid_request" {
				t.Errorf("body %s, want a JSON error invalid_request", body)
			}
			if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
				t.Errorf("a refused login set cookies %v", sc)
			}
		})
	}
}

func TestAuthEndpointsRefuseOtherMethods(t *testing.T) {
	iss := newIssuer(t)
	paths := []string{"/v1/auth/login", "/v1/auth/signup", "/v1/auth/logout", "/v1/auth/refresh"}
	for _, path := range paths {
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			resp, _ := do(t, newClient(t), mustRequest(t, method, iss.URL()+path, nil))
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost {
				t.Errorf(
					"%s %s: %d Allow %q, want 405 Allow POST",
					method,
					path,
					resp.StatusCode,
					resp.Header.Get("Allow"),
				)
			}
		}
	}
	if got := iss.AuthRequests(); got != int64(len(paths)*3) {
		t.Errorf("AuthRequests %d, want %d: refused requests count too", got, len(paths)*3)
	}
}

func TestLogoutClearsCookie(t *testing.T) {
	iss := newIssuer(t)
	resp, body := post(t, iss, "/v1/auth/logout", "", "")
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "{}" {
		t.Fatalf("%d %s, want 200 {}", resp.StatusCode, body)
	}
	ck := sessionCookie(t, resp)
	if ck.Value != "" || ck.MaxAge >= 0 || !ck.HttpOnly {
		t.Fatalf("cookie %+v, want an empty HttpOnly cookie with Max-Age=0", ck)
	}
	if raw := resp.Header.Get("Set-Cookie"); !strings.Contains(raw, "Max-Age=0") {
		t.Fatalf("Set-Cookie %q lacks Max-Age=0", raw)
	}
}

func TestRefreshIssuesFreshTokenForSameUser(t *testing.T) {
	iss := newIssuer(t)
	loginResp, first := login(t, iss, "carol@example.com")

	resp, body := postJSON(t, iss, "/v1/auth/refresh", "", sessionCookie(t, loginResp))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %s", resp.StatusCode, body)
	}
	var second tokenResponse
	if err := json.Unmarshal(body, &second); err != nil {
		t.Fatal(err)
	}
	if _, err := verifyWithLiveJWKS(t, iss, second.AccessToken); err != nil {
		t.Fatalf("refreshed token does not verify: %v", err)
	}
	before, after := claims(t, first.AccessToken), claims(t, second.AccessToken)
	// auth_time and acr stay the login's: a refresh is no new login.
	for _, name := range []string{"sub", "email", "email_verified", "org", "scope", "acr", "auth_time"} {
		if before[name] != after[name] || after[name] == nil {
			t.Errorf("claim %s: %v before, %v after", name, before[name], after[name])
		}
	}
	if before["jti"] == after["jti"] {
		t.Error("refresh returned the same token id")
	}
	if sessionCookie(t, resp).Value != second.AccessToken {
		t.Error("refresh did not update the session cookie")
	}
}

func TestRefreshKeepsAbsentClaimsAbsent(t *testing.T) {
	iss := newIssuer(t)
	old := iss.MustMint(authtest.Claims{"sub": "svc-1"})
	resp, body := postJSON(t, iss, "/v1/auth/refresh", "", &http.Cookie{Name: authtest.CookieName, Value: old})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %s", resp.StatusCode, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		t.Fatal(err)
	}
	c := claims(t, tr.AccessToken)
	if c["sub"] != "svc-1" {
		t.Errorf("sub %v, want svc-1", c["sub"])
	}
	for _, name := range []string{"email", "email_verified", "org", "scope"} {
		if v, ok := c[name]; ok {
			t.Errorf("claim %s = %v appeared on refresh", name, v)
		}
	}
}

func TestRefreshRejectsUntrustedCookies(t *testing.T) {
	iss := newIssuer(
		t,
		authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithKey(testkeys.KIDRSA2, testkeys.RSA2()),
	)
	// Another issuer with the very same key: only "iss" tells them apart.
	twin := newIssuer(t, authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()))
	// The classic algorithm-confusion forgery: HS256 keyed with the
	// issuer's public key, which anyone can download.
	der, err := x509.MarshalPKIXPublicKey(&testkeys.RSA().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	removed := iss.MustMint(nil, authtest.SignWith(testkeys.KIDRSA2))
	iss.RemoveKey(testkeys.KIDRSA2)

	tests := []struct {
		name   string
		cookie string
	}{
		{"garbage", "not-a-jwt"},
		{"expired", iss.MustMint(authtest.Claims{"exp": time.Now().Add(-time.Minute)})},
		{"no exp", iss.MustMint(authtest.Claims{"exp": nil})},
		{"attacker key", iss.MustMint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), testkeys.KIDRSA))},
		{"removed key", removed},
		{"unknown kid", iss.MustMint(nil, authtest.WithHeader("kid", "nope"))},
		{"alg differs from key", iss.MustMint(nil, authtest.WithAlg("PS256"))},
		{"alg none", iss.MustMint(nil, authtest.WithAlg("none"))},
		{"HS256 with public key", iss.MustMint(nil, authtest.SignWithSecret(publicPEM, testkeys.KIDRSA))},
		{"other issuer", twin.MustMint(nil)},
		{"other audience", iss.MustMint(authtest.Claims{"aud": "other-api"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := postJSON(
				t,
				iss,
				"/v1/auth/refresh",
				"",
				&http.Cookie{Name: authtest.CookieName, Value: tt.cookie},
			)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), `"invalid_token"`) {
				t.Fatalf("%d %s, want 401 invalid_token", resp.StatusCode, body)
			}
			if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
				t.Errorf("a refused refresh set cookies %v", sc)
			}
		})
	}
	t.Run("no cookie", func(t *testing.T) {
		resp, _ := postJSON(t, iss, "/v1/auth/refresh", "")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%d, want 401", resp.StatusCode)
		}
	})
}

// A login that asks for acr_values (as an RFC 9470 challenge names them)
// gets that class, a second factor in amr and a fresh auth_time; a login
// without gets the password's class.
func TestLoginMeetsRequestedACR(t *testing.T) {
	iss := newIssuer(t)
	start := time.Now().Add(-time.Second).Unix()
	for body, want := range map[string]string{
		`{"email":"dave@example.com","password":"pw"}`:                            authtest.DevACR,
		`{"email":"dave@example.com","password":"pw","acr_values":"mfa phr"}`:     "mfa",
		`{"email":"dave@example.com","password":"pw","acr_values":"  phr  mfa "}`: "phr",
	} {
		resp, raw := postJSON(t, iss, "/v1/auth/login", body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("login %s: %d %s", body, resp.StatusCode, raw)
		}
		var tr tokenResponse
		if err := json.Unmarshal(raw, &tr); err != nil {
			t.Fatal(err)
		}
		c := claims(t, tr.AccessToken)
		authTime, _ := c["auth_time"].(float64)
		if c["acr"] != want || int64(authTime) < start || int64(authTime) > time.Now().Unix() {
			t.Errorf("login %s: acr %v auth_time %v, want %s and now", body, c["acr"], c["auth_time"], want)
		}
		if amr, _ := c["amr"].([]any); (want == authtest.DevACR) != (len(amr) == 1) {
			t.Errorf("login %s: amr %v", body, c["amr"])
		}
	}
}
