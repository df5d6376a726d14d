package authproxy_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authproxy"
)

func TestCrossOriginUnsafeRequestsAreRefused403(t *testing.T) {
	crossSite := http.Header{"Sec-Fetch-Site": {"cross-site"}, "Cookie": {"idp_session=secret-cookie"}}
	otherOrigin := http.Header{"Origin": {"https://evil.example"}, "Cookie": {"idp_session=secret-cookie"}}
	tests := []struct {
		name   string
		method string
		path   string
		header http.Header
	}{
		{"logout CSRF", http.MethodPost, "/v1/auth/logout", crossSite},
		{"login CSRF", http.MethodPost, "/v1/auth/login", crossSite},
		{"login CSRF from an old browser (Origin only)", http.MethodPost, "/v1/auth/login", otherOrigin},
		{
			"same-site is not same-origin",
			http.MethodPost,
			"/v1/auth/logout",
			http.Header{"Sec-Fetch-Site": {"same-site"}},
		},
		{"PUT", http.MethodPut, "/v1/auth/password", crossSite},
		{"PATCH", http.MethodPatch, "/v1/auth/profile", crossSite},
		{"DELETE", http.MethodDelete, "/v1/auth/sessions/current", crossSite},
	}
	idp := newProvider(t, nil)
	srv := serveProxy(t, authproxy.Config{Issuer: idp.URL})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := send(t, srv, clientRequest{Method: tt.method, Path: tt.path, Header: tt.header,
				Body: strings.NewReader("{}"), Length: 2})
			checkError(t, resp, body, http.StatusForbidden, "forbidden", "secret-cookie")
		})
	}
	if n := len(idp.requests()); n != 0 {
		t.Errorf("provider reached %d times, want 0", n)
	}
}

func TestSameOriginSafeAndNonBrowserRequestsPassCrossOriginProtection(t *testing.T) {
	tests := []struct {
		name   string
		method string
		header func(host string) http.Header
	}{
		{
			"same-origin POST",
			http.MethodPost,
			func(string) http.Header { return http.Header{"Sec-Fetch-Site": {"same-origin"}} },
		},
		{
			"typed into the address bar",
			http.MethodPost,
			func(string) http.Header { return http.Header{"Sec-Fetch-Site": {"none"}} },
		},
		{
			"Origin of the proxy's own host",
			http.MethodPost,
			func(host string) http.Header { return http.Header{"Origin": {"http://" + host}} },
		},
		{"no browser headers (curl, a server)", http.MethodPost, func(string) http.Header { return nil }},
		{
			"cross-site GET",
			http.MethodGet,
			func(string) http.Header { return http.Header{"Sec-Fetch-Site": {"cross-site"}} },
		},
		{
			"cross-site preflight",
			http.MethodOptions,
			func(string) http.Header { return http.Header{"Sec-Fetch-Site": {"cross-site"}} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := newProvider(t, nil)
			srv := serveProxy(t, authproxy.Config{Issuer: idp.URL})
			host := strings.TrimPrefix(srv.URL, "http://")
			resp, body := send(
				t,
				srv,
				clientRequest{Method: tt.method, Path: "/v1/auth/login", Header: tt.header(host)},
			)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want the provider's 200; body %s", resp.StatusCode, body)
			}
			idp.only(t)
		})
	}
}

func TestCrossOriginProtectionTrustsAddedOrigins(t *testing.T) {
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin("https://www.example.test"); err != nil {
		t.Fatal(err)
	}
	idp := newProvider(t, nil)
	srv := serveProxy(t, authproxy.Config{Issuer: idp.URL, CrossOriginProtection: cop})

	trusted := http.Header{"Origin": {"https://www.example.test"}, "Sec-Fetch-Site": {"same-site"}}
	if resp, body := send(
		t,
		srv,
		clientRequest{Method: http.MethodPost, Path: "/v1/auth/login", Header: trusted},
	); resp.StatusCode != http.StatusOK {
		t.Fatalf("trusted origin: status %d, want 200; body %s", resp.StatusCode, body)
	}
	other := http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}
	resp, body := send(t, srv, clientRequest{Method: http.MethodPost, Path: "/v1/auth/login", Header: other})
	checkError(t, resp, body, http.StatusForbidden, "forbidden")
	if n := len(idp.requests()); n != 1 {
		t.Errorf("provider reached %d times, want once, for the trusted origin", n)
	}
}
