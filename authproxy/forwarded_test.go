package authproxy_test

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authproxy"
)

// The test client connects from loopback; these make it a trusted proxy.
var (
	trustLoopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	trustInternal = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}
)

// stated is what the provider is told about the client.
type stated struct {
	For, Proto, Forwarded string
}

func statedBy(h http.Header) stated {
	return stated{For: strings.Join(h.Values("X-Forwarded-For"), "|"),
		Proto: strings.Join(h.Values("X-Forwarded-Proto"), "|"), Forwarded: strings.Join(h.Values("Forwarded"), "|")}
}

func TestForwardingHeadersFromTrustedProxiesAreHonoured(t *testing.T) {
	tests := []struct {
		name    string
		trusted []netip.Prefix
		scheme  string // Config.PublicScheme
		header  http.Header
		want    stated
	}{
		{"untrusted peer: its claims are dropped", nil, "",
			http.Header{
				"X-Forwarded-For":   {"203.0.113.7"},
				"X-Forwarded-Proto": {"https"},
				"Forwarded":         {"for=203.0.113.7;proto=https"},
			},
			stated{"127.0.0.1", "http", "for=127.0.0.1;proto=http"}},
		{"untrusted peer: garbage is ignored, not refused", nil, "",
			http.Header{"X-Forwarded-For": {"not an address"}, "Forwarded": {`for="unterminated`}},
			stated{"127.0.0.1", "http", "for=127.0.0.1;proto=http"}},
		{"trusted balancer terminating TLS", trustLoopback, "",
			http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"https"}},
			stated{"203.0.113.7", "https", "for=203.0.113.7;proto=https"}},
		{"walked from the right past trusted hops; the forged left is never read", trustInternal, "",
			http.Header{"X-Forwarded-For": {"198.51.100.1, 203.0.113.7, 10.1.2.3"}},
			stated{"203.0.113.7", "http", "for=203.0.113.7;proto=http"}},
		{"over several header lines", trustInternal, "",
			http.Header{"X-Forwarded-For": {"198.51.100.1", "203.0.113.7 ,, 10.1.2.3"}},
			stated{"203.0.113.7", "http", "for=203.0.113.7;proto=http"}},
		{"garbage left of the client is never read", trustLoopback, "",
			http.Header{"X-Forwarded-For": {"<script>, unknown, 203.0.113.7"}},
			stated{"203.0.113.7", "http", "for=203.0.113.7;proto=http"}},
		{"every hop trusted: the furthest is the client", trustInternal, "",
			http.Header{"X-Forwarded-For": {"10.0.0.1, 10.0.0.2"}},
			stated{"10.0.0.1", "http", "for=10.0.0.1;proto=http"}},
		{"with ports and brackets", trustLoopback, "",
			http.Header{"X-Forwarded-For": {"[2001:db8::1]:4711"}},
			stated{"2001:db8::1", "http", `for="[2001:db8::1]";proto=http`}},
		{"IPv4 with a port", trustLoopback, "",
			http.Header{"X-Forwarded-For": {"203.0.113.7:1234"}},
			stated{"203.0.113.7", "http", "for=203.0.113.7;proto=http"}},
		{"IPv4-mapped IPv6 is IPv4", trustLoopback, "",
			http.Header{"X-Forwarded-For": {"::ffff:203.0.113.7"}},
			stated{"203.0.113.7", "http", "for=203.0.113.7;proto=http"}},
		{"trusted as an IPv4-mapped prefix", []netip.Prefix{netip.MustParsePrefix("::ffff:127.0.0.0/104")}, "",
			http.Header{"X-Forwarded-For": {"203.0.113.7"}},
			stated{"203.0.113.7", "http", "for=203.0.113.7;proto=http"}},
		{"X-Forwarded-Proto list read at the client's position", trustInternal, "",
			http.Header{
				"X-Forwarded-For":   {"198.51.100.1, 203.0.113.7, 10.1.2.3"},
				"X-Forwarded-Proto": {"http, HTTPS, http"},
			},
			stated{"203.0.113.7", "https", "for=203.0.113.7;proto=https"}},
		{"X-Forwarded-Proto alone", trustLoopback, "",
			http.Header{"X-Forwarded-Proto": {"https"}},
			stated{"127.0.0.1", "https", "for=127.0.0.1;proto=https"}},
		{"Forwarded (RFC 7239)", trustInternal, "",
			http.Header{
				"Forwarded": {
					`for=198.51.100.1, For="[2001:db8:cafe::17]:4711";proto=https;by=10.1.2.3;host="id.example", ` +
						`for=10.1.2.3`,
				},
			},
			stated{"2001:db8:cafe::17", "https", `for="[2001:db8:cafe::17]";proto=https`}},
		{"Forwarded and X-Forwarded-For agreeing", trustLoopback, "",
			http.Header{
				"X-Forwarded-For":   {"203.0.113.7"},
				"X-Forwarded-Proto": {"https"},
				"Forwarded":         {"for=203.0.113.7"},
			},
			stated{"203.0.113.7", "https", "for=203.0.113.7;proto=https"}},
		{"public scheme over an untrusted connection", nil, "https",
			http.Header{"X-Forwarded-Proto": {"http"}},
			stated{"127.0.0.1", "https", "for=127.0.0.1;proto=https"}},
		{"public scheme over a trusted proxy's word", trustLoopback, "http",
			http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"https"}},
			stated{"203.0.113.7", "http", "for=203.0.113.7;proto=http"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := newProvider(t, nil)
			srv := serveProxy(t, authproxy.Config{Issuer: idp.URL, TrustedProxies: tt.trusted, PublicScheme: tt.scheme})
			resp, body := send(
				t,
				srv,
				clientRequest{Method: http.MethodPost, Path: "/v1/auth/login", Header: tt.header},
			)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200; body %s", resp.StatusCode, body)
			}
			if got := statedBy(idp.only(t).Header); got != tt.want {
				t.Errorf("provider was told %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestUnresolvableForwardingFromTrustedProxiesIsRefused(t *testing.T) {
	tests := map[string]http.Header{
		"not an address at the client's position": {"X-Forwarded-For": {"203.0.113.7, garbage"}},
		"unknown at the client's position":        {"X-Forwarded-For": {"unknown"}},
		"an address with a zone":                  {"X-Forwarded-For": {"fe80::1%eth0"}},
		"the two headers disagree on the client": {"X-Forwarded-For": {"203.0.113.7"},
			"Forwarded": {"for=198.51.100.1"}},
		"the two headers disagree on the scheme": {"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"http"},
			"Forwarded": {"for=203.0.113.7;proto=https"}},
		"X-Forwarded-Proto list of another length": {"X-Forwarded-For": {"203.0.113.7"},
			"X-Forwarded-Proto": {"https, http"}},
		"X-Forwarded-Proto neither http nor https": {"X-Forwarded-Proto": {"javascript"}},
		"Forwarded without for":                    {"Forwarded": {"proto=https"}},
		"Forwarded with for twice":                 {"Forwarded": {"for=203.0.113.7;for=198.51.100.1"}},
		"Forwarded unterminated quote":             {"Forwarded": {`for="203.0.113.7`}},
		"Forwarded empty value":                    {"Forwarded": {"for="}},
		"Forwarded obfuscated node":                {"Forwarded": {"for=_hidden"}},
		"Forwarded junk after a value":             {"Forwarded": {"for=203.0.113.7 x"}},
		"Forwarded bad proto":                      {"Forwarded": {"for=203.0.113.7;proto=ftp"}},
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			idp := newProvider(t, nil)
			srv := serveProxy(t, authproxy.Config{Issuer: idp.URL, TrustedProxies: trustLoopback})
			resp, body := send(t, srv, clientRequest{Method: http.MethodPost, Path: "/v1/auth/login", Header: h})
			checkError(t, resp, body, http.StatusBadRequest, "invalid_request", upstreamInternals(idp.Server)...)
			if n := len(idp.requests()); n != 0 {
				t.Errorf("provider reached %d times, want 0", n)
			}
		})
	}
}

func TestHostileForwardingHeadersNeverFail500(t *testing.T) {
	many := strings.Repeat("10.0.0.1, ", 60_000) // ~600 KB of trusted hops
	tests := []struct {
		name   string
		header http.Header
		status int
		client string // X-Forwarded-For the provider gets, when forwarded
	}{
		{
			"a long chain of trusted hops",
			http.Header{"X-Forwarded-For": {"203.0.113.7, " + many + "10.0.0.2"}},
			http.StatusOK,
			"203.0.113.7",
		},
		{
			"a long chain left of the client",
			http.Header{"X-Forwarded-For": {many + "203.0.113.7"}},
			http.StatusOK,
			"203.0.113.7",
		},
		{"commas only", http.Header{"X-Forwarded-For": {strings.Repeat(",", 500_000)}}, http.StatusOK, "127.0.0.1"},
		{
			"many header lines",
			http.Header{"X-Forwarded-For": slices.Repeat([]string{"10.0.0.1"}, 5_000)},
			http.StatusOK,
			"10.0.0.1",
		},
		{
			"a huge Forwarded",
			http.Header{"Forwarded": {strings.Repeat("for=10.0.0.1;proto=https, ", 20_000) + "for=203.0.113.7"}},
			http.StatusOK,
			"203.0.113.7",
		},
		{
			"a huge quoted string",
			http.Header{"Forwarded": {`for="` + strings.Repeat(`\"`, 300_000) + `"`}},
			http.StatusBadRequest,
			"",
		},
		{"non-ASCII", http.Header{"X-Forwarded-For": {"２０３.０.１１３.７"}}, http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := newProvider(t, nil)
			srv := serveProxy(t, authproxy.Config{Issuer: idp.URL, TrustedProxies: trustInternal})
			resp, body := send(
				t,
				srv,
				clientRequest{Method: http.MethodPost, Path: "/v1/auth/login", Header: tt.header},
			)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %.200s", resp.StatusCode, tt.status, body)
			}
			if tt.status != http.StatusOK {
				checkError(t, resp, body, tt.status, "invalid_request")
				return
			}
			if got := idp.only(t).Header.Values("X-Forwarded-For"); len(got) != 1 || got[0] != tt.client {
				t.Errorf("provider got X-Forwarded-For %.100q, want %q", got, tt.client)
			}
		})
	}
}

func TestForwardedHostIsConfiguredNeverTakenFromTheRequest(t *testing.T) {
	forged := http.Header{"X-Forwarded-Host": {"evil.example"}, "Forwarded": {"for=127.0.0.1;host=evil.example"}}
	for _, trusted := range [][]netip.Prefix{nil, trustLoopback} {
		for _, host := range []string{"", "app.example.test"} {
			idp := newProvider(t, nil)
			srv := serveProxy(t, authproxy.Config{Issuer: idp.URL, ForwardedHost: host, TrustedProxies: trusted})
			resp, _ := send(t, srv, clientRequest{Method: http.MethodPost, Path: "/v1/auth/login", Header: forged})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			h := idp.only(t).Header
			wantFwd := "for=127.0.0.1;proto=http"
			if host != "" {
				wantFwd += `;host="` + host + `"`
			}
			if got := h.Values("X-Forwarded-Host"); host == "" && len(got) != 0 ||
				host != "" && !slices.Equal(got, []string{host}) {
				t.Errorf("trusted %v, ForwardedHost %q: provider got X-Forwarded-Host %q", trusted, host, got)
			}
			if got := h.Values("Forwarded"); !slices.Equal(got, []string{wantFwd}) {
				t.Errorf(
					"trusted %v, ForwardedHost %q: provider got Forwarded %q, want %q",
					trusted,
					host,
					got,
					wantFwd,
				)
			}
		}
	}
}
