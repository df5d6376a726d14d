package authtest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// The session cookie must be Secure whenever the request came over TLS. The
// issuer itself serves plain HTTP, so the handler is driven directly with a
// request that httptest marks as TLS.
func TestSessionCookieIsSecureOverTLS(t *testing.T) {
	iss := NewIssuer(WithKey(testkeys.KIDRSA, testkeys.RSA()))
	t.Cleanup(iss.Close)

	req := httptest.NewRequest(
		http.MethodPost,
		"https://dev.example"+loginPath,
		strings.NewReader(`{"email":"a@b.c","password":"x"}`),
	)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	iss.routes().ServeHTTP(rec, req)

	resp := rec.Result()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login over TLS: %d", resp.StatusCode)
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 || cookies[0].Name != CookieName || !cookies[0].Secure {
		t.Fatalf("cookies %+v, want one Secure %s cookie", cookies, CookieName)
	}
}
