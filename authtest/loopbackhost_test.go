package authtest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

func TestWithLoopbackHostsOnlyRefusesForeignHosts421(t *testing.T) {
	iss := newIssuer(t, authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()), authtest.WithLoopbackHostsOnly())
	u, _ := url.Parse(iss.URL())
	port := u.Port()
	paths := []string{"/.well-known/openid-configuration", "/.well-known/jwks.json", "/v1/auth/login"}

	for _, host := range []string{"evil.example", "evil.example:" + port, "127.0.0.1.evil.example",
		"localhost.evil.example", "10.0.0.1", "[::2]:" + port, "[::ffff:10.0.0.1]", "[fe80::1%25lo]"} {
		for _, path := range paths {
			req := mustRequest(
				t,
				http.MethodPost,
				iss.URL()+path,
				strings.NewReader(`{"email":"a@example.com","password":"x"}`),
			)
			req.Header.Set("Content-Type", "application/json")
			req.Host = host
			resp, body := do(t, newClient(t), req)
			if resp.StatusCode != http.StatusMisdirectedRequest ||
				!strings.Contains(string(body), `"error":"misdirected_request"`) {
				t.Errorf("%s with Host %q: %d %s, want 421 misdirected_request", path, host, resp.StatusCode, body)
			}
		}
	}
	if n := iss.AuthRequests(); n != 0 {
		t.Errorf("%d requests reached the auth endpoints, want 0", n)
	}

	for _, host := range []string{
		u.Host,
		"localhost:" + port,
		"LocalHost",
		"127.0.0.2",
		"[::1]:" + port,
		"[::1]",
		"[::ffff:127.0.0.1]",
	} {
		req := mustRequest(t, http.MethodGet, iss.URL()+"/.well-known/openid-configuration", nil)
		req.Host = host
		if resp, body := do(t, newClient(t), req); resp.StatusCode != http.StatusOK {
			t.Errorf("Host %q: %d %s, want 200", host, resp.StatusCode, body)
		}
	}
}

func TestWithoutLoopbackHostsOnlyAnyHostIsServed(t *testing.T) {
	iss := newIssuer(t)
	req := mustRequest(t, http.MethodGet, iss.URL()+"/.well-known/openid-configuration", nil)
	req.Host = "id.example.test" // as a test that fronts the issuer with its own name would
	if resp, body := do(t, newClient(t), req); resp.StatusCode != http.StatusOK {
		t.Errorf("Host %q: %d %s, want 200: the option is off by default", req.Host, resp.StatusCode, body)
	}
}
