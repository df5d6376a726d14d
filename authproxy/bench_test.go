package authproxy_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authproxy"
)

// BenchmarkResolveForwarding measures the cost of forwarding headers from
// a trusted proxy by their size: per op it should grow linearly with the
// number of hops, for a chain to walk, for a chain never read, and for a
// Forwarded header that must be parsed whole.
func BenchmarkResolveForwarding(b *testing.B) {
	p, err := authproxy.New(authproxy.Config{
		Issuer:         "http://id.example.test",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("10.0.0.0/8")},
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{100, 1_000, 10_000} {
		cases := map[string]http.Header{
			"trusted hops":      {"X-Forwarded-For": {"203.0.113.7, " + strings.Repeat("10.0.0.1, ", n) + "10.0.0.2"}},
			"forged left chain": {"X-Forwarded-For": {strings.Repeat("198.51.100.1, ", n) + "203.0.113.7"}},
			"Forwarded": {
				"Forwarded": {strings.Repeat("for=198.51.100.1;proto=https, ", n) + "for=203.0.113.7"},
			},
		}
		for name, h := range cases {
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				r := httptest.NewRequest(http.MethodPost, "/v1/auth/login", nil)
				r.Header = h
				b.ReportAllocs()
				for b.Loop() {
					if client, _, err := authproxy.ResolveForwarding(p, r); err != nil || client != "203.0.113.7" {
						b.Fatalf("client %q, %v", client, err)
					}
				}
			})
		}
	}
}
