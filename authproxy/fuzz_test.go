package authproxy_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authproxy"
)

// FuzzRewriteSetCookie checks that whatever the provider sends, a browser
// never reads a Domain from the result other than the configured one, a
// cookie that had a Domain keeps one, and no control character gets
// through.
func FuzzRewriteSetCookie(f *testing.F) {
	for _, seed := range []string{
		"a=1; Domain=id.example.test", "a=1; Domain =x", "a=1; Domain\t=x", "a=1;DOMAIN=x;Domain=",
		`a="x;Domain=y"`, "a=1; Domain=x\x00; Path=/", "novalue", "=v", "a=1; Dom\u0130in=x",
	} {
		f.Add(seed)
	}
	const domain = "app.example.test"
	f.Fuzz(func(t *testing.T, v string) {
		out, ok := authproxy.RewriteSetCookie(v, domain)
		if !ok {
			return
		}
		if d := browserDomain(out); d != "" && d != domain {
			t.Errorf("%q became %q, where a browser reads Domain %q", v, out, d)
		}
		if browserDomain(v) != "" && browserDomain(out) != domain {
			t.Errorf("%q became %q, which lost its Domain", v, out)
		}
		for i := 0; i < len(out); i++ {
			if c := out[i]; c < ' ' && c != '\t' || c == 0x7f {
				t.Errorf("%q became %q, with a control character", v, out)
			}
		}
	})
}

// FuzzResolveForwarding checks that no forwarding headers make the proxy
// panic, and that the client it names is the peer or an address that the
// headers hold: never one it made up.
func FuzzResolveForwarding(f *testing.F) {
	for _, seed := range [][2]string{
		{"203.0.113.7, 10.0.0.1", "for=203.0.113.7;proto=https"},
		{"[2001:db8::1]:80", `for="[2001:db8::1]:80"`},
		{"unknown", "for=unknown"},
		{",,,", `for="\"`},
		{"::ffff:10.0.0.1", "For=10.0.0.1, for=10.0.0.2;by=x;host=\"a:1\""},
	} {
		f.Add(seed[0], seed[1], "https")
	}
	p, err := authproxy.New(authproxy.Config{
		Issuer:         "http://id.example.test",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("10.0.0.0/8")},
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, xff, fwd, xfp string) {
		r := httptest.NewRequest(http.MethodPost, "/v1/auth/login", nil) // from 192.0.2.1, trusted
		r.Header["X-Forwarded-For"] = []string{xff}
		r.Header["Forwarded"] = []string{fwd}
		r.Header["X-Forwarded-Proto"] = []string{xfp}
		client, proto, err := authproxy.ResolveForwarding(p, r)
		if err != nil {
			return
		}
		if proto != "http" && proto != "https" {
			t.Errorf("proto %q", proto)
		}
		if client != "192.0.2.1" && !mentions(xff+fwd, client) {
			t.Errorf("client %q is neither the peer nor in %q / %q", client, xff, fwd)
		}
	})
}

// mentions reports whether headers hold the address a, in some spelling
// netip would read as a.
func mentions(headers, a string) bool {
	want, err := netip.ParseAddr(a)
	if err != nil {
		return false
	}
	for f := range strings.FieldsFuncSeq(headers, func(r rune) bool { return strings.ContainsRune(",;=\" \t", r) }) {
		f = strings.Trim(f, "[]")
		if ap, err := netip.ParseAddrPort(f); err == nil && ap.Addr().Unmap() == want {
			return true
		}
		if i := strings.LastIndex(f, "]:"); i > 0 {
			f = f[:i]
		}
		if got, err := netip.ParseAddr(f); err == nil && got.Unmap() == want {
			return true
		}
	}
	return false
}
