package authproxy_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authproxy"
)

// browserDomain is the Domain a browser takes from a Set-Cookie value, read
// as RFC 6265 section 5.2 says, independently of the proxy's code: split
// on ';', each attribute on its first '=', names and values trimmed of
// spaces and tabs, names case-insensitive, the last non-empty Domain wins,
// a leading dot ignored. "" means a host-only cookie.
func browserDomain(v string) string {
	attrs := strings.Split(v, ";")[1:]
	domain := ""
	for _, a := range attrs {
		name, value, _ := strings.Cut(a, "=")
		if strings.EqualFold(strings.Trim(name, " \t"), "domain") {
			if value = strings.Trim(value, " \t"); value != "" {
				domain = strings.TrimPrefix(value, ".")
			}
		}
	}
	return domain
}

// serveCookies starts a provider answering with these Set-Cookie lines and
// a proxy with cookieDomain in front of it, and returns the Set-Cookie
// lines the browser gets.
func serveCookies(t *testing.T, cookieDomain string, fromProvider []string) []string {
	t.Helper()
	idp := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		for _, c := range fromProvider {
			w.Header().Add("Set-Cookie", c)
		}
		w.Header().Set("Location", "https://app.example.test/")
		w.WriteHeader(http.StatusSeeOther)
	})
	srv := serveProxy(t, authproxy.Config{Issuer: idp.URL, CookieDomain: cookieDomain})
	resp, _ := send(t, srv, clientRequest{Method: http.MethodPost, Path: "/v1/auth/login"})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://app.example.test/" {
		t.Errorf("client got %d Location %q, want the provider's 303", resp.StatusCode, resp.Header.Get("Location"))
	}
	return resp.Header.Values("Set-Cookie")
}

func TestCookieDomainReplacesEveryDomainABrowserWouldRead(t *testing.T) {
	const app = "app.example.test"
	tests := []struct{ from, want string }{
		{"idp_session=s1; Path=/; Domain=id.example.test; Max-Age=3600; HttpOnly; Secure; SameSite=Lax; Priority=High",
			"idp_session=s1; Path=/; Domain=app.example.test; Max-Age=3600; " +
				"HttpOnly; Secure; SameSite=Lax; Priority=High"},
		{"a=1; Domain =id.example.test; Path=/", "a=1; Domain=app.example.test; Path=/"},
		{"b=2; Domain\t=id.example.test", "b=2; Domain=app.example.test"},
		{"c=3; domain=id.example.test", "c=3; Domain=app.example.test"},
		{"d=4;DOMAIN = .id.example.test ;Secure", "d=4; Domain=app.example.test; Secure"},
		{"e=5; Path=/; Domain=; Domain=id.example.test", "e=5; Path=/; Domain=app.example.test"},
		{"f=6; Domain=id.example.test; Domain=evil.example", "f=6; Domain=app.example.test"},
		{
			"g=7; Domain=; Path=/",
			"g=7; Path=/",
		}, // empty Domain: host-only for the browser, and here
		{" h = 8 ; HttpOnly ;; ", "h=8; HttpOnly"},                     // trimmed as the browser trims
		{`i="x;Domain=evil.example"`, `i="x; Domain=app.example.test`}, // quotes do not protect ';'
		{"bad name=1; Domain=id.example.test", "bad name=1; Domain=app.example.test"},
		{"__Host-j=9; Path=/; Secure; SameSite=Strict", "__Host-j=9; Path=/; Secure; SameSite=Strict"},
		{"k=10; Path=/; Domain", "k=10; Path=/"}, // a Domain with no value at all
	}
	var from, want []string
	for _, tt := range tests {
		from, want = append(from, tt.from), append(want, tt.want)
	}
	from = append(from,
		"novalue; Domain=id.example.test",   // no '=': a nameless cookie to some browsers, nothing to others
		"=nameless; Domain=id.example.test", // empty name, likewise
		" \t=v; Domain=id.example.test",     // empty once trimmed
	)
	got := serveCookies(t, app, from)
	if !slices.Equal(got, want) {
		t.Errorf("Set-Cookie =\n%q\nwant\n%q", got, want)
	}
	for i, v := range got {
		if d := browserDomain(v); d != "" && d != app {
			t.Errorf("a browser reads Domain %q from %q", d, v)
		}
		if i < len(tests) && browserDomain(tests[i].from) != "" && browserDomain(v) != app {
			t.Errorf("%q lost its Domain: %q", tests[i].from, v)
		}
	}
}

func TestWithoutCookieDomainSetCookiePassesUnchanged(t *testing.T) {
	from := []string{
		"idp_session=s1; Path=/; Domain=id.example.test; Max-Age=3600; HttpOnly; Secure; SameSite=Lax; Priority=High",
		"__Host-idp_csrf=c1; Path=/; Secure; SameSite=Strict",
		"bad name=1; Domain =example.test",
	}
	if got := serveCookies(t, "", from); !slices.Equal(got, from) {
		t.Errorf("Set-Cookie =\n%q\nwant it unchanged\n%q", got, from)
	}
}
