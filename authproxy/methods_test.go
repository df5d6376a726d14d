package authproxy_test

import (
	"net/http"
	"testing"

	"github.com/identsphere/identsphere-go/authproxy"
)

// wantAllow is the Allow header of the proxy's 405.
const wantAllow = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

func TestMethodsOffTheAllowListAreRefused405WithAllow(t *testing.T) {
	tests := []struct{ name, method, path string }{
		{"CONNECT to a path", http.MethodConnect, "/v1/auth/login"},
		{"CONNECT to an authority", http.MethodConnect, ""}, // CONNECT host:port, as a tunnel asks
		{"TRACE", http.MethodTrace, "/v1/auth/login"},
		{"TRACK", "TRACK", "/v1/auth/login"},
		{"WebDAV", "PROPFIND", "/v1/auth/"},
		{"lower-case get", "get", "/v1/auth/login"},
		{"invented", "BREW", "/v1/auth/login"},
		{"TRACE outside the prefix", http.MethodTrace, "/admin"},
	}
	idp := newProvider(t, nil)
	srv := serveProxy(t, authproxy.Config{Issuer: idp.URL})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := send(t, srv, clientRequest{Method: tt.method, Path: tt.path,
				Header: http.Header{"Cookie": {"idp_session=secret-cookie"}}})
			checkError(t, resp, body, http.StatusMethodNotAllowed, "method_not_allowed", "secret-cookie")
			if got := resp.Header.Values("Allow"); len(got) != 1 || got[0] != wantAllow {
				t.Errorf("Allow = %q, want %q", got, wantAllow)
			}
		})
	}
	if n := len(idp.requests()); n != 0 {
		t.Errorf("provider reached %d times, want 0", n)
	}
}

func TestMethodsOnTheAllowListAreForwarded(t *testing.T) {
	for _, m := range []string{
		http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions,
	} {
		t.Run(m, func(t *testing.T) {
			idp := newProvider(t, nil)
			srv := serveProxy(t, authproxy.Config{Issuer: idp.URL})
			resp, _ := send(t, srv, clientRequest{Method: m, Path: "/v1/auth/session"})
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %d, want the provider's 200", resp.StatusCode)
			}
			if got := idp.only(t); got.Method != m {
				t.Errorf("provider got %s, want %s", got.Method, m)
			}
		})
	}
}
