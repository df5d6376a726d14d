package authproxy_test

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authproxy"
)

// spoofingHeaders are request headers through which a client could pose as
// another client, or ask for another host, URL or method, if they reached
// the provider.
var spoofingHeaders = []string{
	// Client address.
	"Cf-Connecting-Ip", "Fastly-Client-Ip", "X-Cluster-Client-Ip", "Client-Ip",
	"X-Originating-Ip", "X-Remote-Ip", "X-Remote-Addr", "X-Envoy-External-Address",
	"X-Appengine-User-Ip", "X-Azure-ClientIP", "X-Azure-SocketIP",
	"X-Real-Ip", "X-Client-Ip", "True-Client-Ip",
	// Host, URL and method overrides.
	"X-Original-Host", "X-Host", "X-Http-Host-Override", "X-Original-Uri",
	"X-Envoy-Original-Path", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override",
	"X-Original-Url", "X-Rewrite-Url",
	// Forwarding headers the proxy states itself.
	"X-Forwarded-Prefix", "X-Forwarded-Port", "X-Forwarded-Server", "X-Forwarded-Uri",
	// CGI-style spellings, which some servers read as the dashed ones.
	"X-Real_ip", "X_forwarded_for", "Cf_connecting_ip",
}

func TestClientAddressAndURLOverrideHeadersAreDropped(t *testing.T) {
	sent := http.Header{}
	for _, name := range spoofingHeaders {
		// Add keeps the name's own spelling out of it: the server
		// canonicalises it, as it would any client's.
		sent.Add(name, "203.0.113.7")
	}
	sent.Set("X-Original-Url", "/admin")
	sent.Set("X-Http-Method-Override", "DELETE")
	for _, trusted := range []bool{false, true} {
		cfg := authproxy.Config{}
		if trusted {
			// Trusting the peer honours X-Forwarded-For, and nothing more.
			cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		}
		idp := newProvider(t, nil)
		cfg.Issuer = idp.URL
		srv := serveProxy(t, cfg)
		resp, _ := send(t, srv, clientRequest{Method: http.MethodPost, Path: "/v1/auth/login", Header: sent})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("trusted peer %v: status %d, want 200", trusted, resp.StatusCode)
		}
		got := idp.only(t).Header
		for _, name := range spoofingHeaders {
			if v, ok := got[http.CanonicalHeaderKey(name)]; ok {
				t.Errorf("trusted peer %v: the provider got %s: %q", trusted, name, v)
			}
			if v, ok := got[name]; ok {
				t.Errorf("trusted peer %v: the provider got %s: %q", trusted, name, v)
			}
		}
	}
}

func TestOnlyAllowListedRequestHeadersReachTheProvider(t *testing.T) {
	sent := http.Header{
		// The default allow-list.
		"Accept":           {"application/json"},
		"Accept-Language":  {"de-CH, en;q=0.5"},
		"Content-Type":     {"application/json"},
		"Cookie":           {"idp_refresh=r1; idp_csrf=c1"},
		"User-Agent":       {"test-agent/1"},
		"Referer":          {"https://app.example.test/login"},
		"Sec-Fetch-Site":   {"same-origin"},
		"Sec-Fetch-Mode":   {"cors"},
		"Sec-Fetch-Dest":   {"empty"},
		"X-Requested-With": {"XMLHttpRequest"},
		"X-Csrf-Token":     {"c1"},
		"X-Xsrf-Token":     {"c2"},
		// Added by configuration.
		"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
		// Neither.
		"Authorization":       {"Bearer app-token"},
		"X-Device-Id":         {"d1"},
		"If-None-Match":       {`"v1"`},
		"Expect":              {"100-continue"},
		"Connection":          {"X-Custom"},
		"X-Custom":            {"hop"},
		"Keep-Alive":          {"timeout=5"},
		"Te":                  {"trailers"},
		"Proxy-Authorization": {"Basic dXNlcjpwYXNz"},
	}
	body := `{"email":"a@example.com"}`
	idp := newProvider(t, nil)
	srv := serveProxy(t, authproxy.Config{Issuer: idp.URL, ExtraRequestHeaders: []string{"traceparent"}})
	resp, _ := send(t, srv, clientRequest{Method: http.MethodPost, Path: "/v1/auth/login", Header: sent,
		Body: strings.NewReader(body), Length: int64(len(body))})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	got := idp.only(t)
	if string(got.Body) != body {
		t.Errorf("provider got body %q, want %q", got.Body, body)
	}
	for _, name := range []string{
		"Accept", "Accept-Language", "Content-Type", "Cookie", "User-Agent", "Referer",
		"Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "X-Requested-With",
		"X-Csrf-Token", "X-Xsrf-Token", "Traceparent",
	} {
		if !slices.Equal(got.Header[name], sent[name]) {
			t.Errorf("provider got %s %q, want %q", name, got.Header[name], sent[name])
		}
	}
	allowed := map[string]bool{
		"Accept": true, "Accept-Language": true, "Accept-Encoding": true, "Content-Type": true,
		"Content-Length": true, "Cookie": true, "User-Agent": true, "Referer": true,
		"Sec-Fetch-Site": true, "Sec-Fetch-Mode": true, "Sec-Fetch-Dest": true,
		"X-Requested-With": true, "X-Csrf-Token": true, "X-Xsrf-Token": true, "Traceparent": true,
		// What the proxy states itself.
		"X-Forwarded-For": true, "X-Forwarded-Proto": true, "Forwarded": true,
	}
	for name, v := range got.Header {
		if !allowed[name] {
			t.Errorf("provider got %s %q, which is not on the allow-list", name, v)
		}
	}
}

func TestDefaultRequestHeadersIsACopy(t *testing.T) {
	a := authproxy.DefaultRequestHeaders()
	a[0] = "Authorization"
	if b := authproxy.DefaultRequestHeaders(); b[0] == "Authorization" || slices.Contains(b, "Authorization") {
		t.Errorf("changing the returned slice changed the defaults: %q", b)
	}
}
