package authproxy

import (
	"log/slog"
	"net/http"
	"strings"
)

// Limits a browser applies to a cookie (RFC 6265bis section 5.7): a longer
// cookie or attribute is ignored by some browsers and not by others.
const (
	maxCookieNameValue = 4096
	maxCookieAttribute = 1024
)

// rewriteCookies sets the Domain of the provider's domain cookies to
// CookieDomain. A Set-Cookie that a browser might read differently from
// this proxy is dropped rather than passed on with a Domain that was never
// rewritten.
func (p *Proxy) rewriteCookies(resp *http.Response) error {
	values := resp.Header["Set-Cookie"]
	if len(values) == 0 {
		return nil
	}
	kept := values[:0]
	for _, v := range values {
		out, ok := rewriteSetCookie(v, p.cookieDomain)
		if !ok {
			p.log.LogAttrs(
				resp.Request.Context(),
				slog.LevelWarn,
				"authproxy: dropped a Set-Cookie from the provider that a browser might misread",
				slog.String("path", p.clientPath(resp.Request)),
				slog.Int("status", resp.StatusCode),
			)
			continue
		}
		kept = append(kept, out)
	}
	if len(kept) == 0 {
		delete(resp.Header, "Set-Cookie")
	} else {
		resp.Header["Set-Cookie"] = kept
	}
	return nil
}

// rewriteSetCookie reads one Set-Cookie value as a browser does (RFC 6265
// section 5.2) and returns it with every Domain attribute replaced by one
// Domain=domain, or false if it must be dropped.
//
// The cookie is split on ';'; the name-value pair and each attribute are
// split on their first '='; names and values are trimmed of spaces and
// tabs; attribute names are compared case-insensitively, in ASCII only, as
// browsers do. So "Domain =x", "domain\t=x" and " DOMAIN=x" are all the
// Domain attribute. A Domain with an empty value is ignored by browsers,
// and dropped here: the cookie stays host-only. Dropped outright, as a
// browser would ignore it or might read it otherwise: a control character
// other than tab, a name-value pair without '=' or with an empty name, and
// a name and value over 4096 bytes. An attribute over 1024 bytes is dropped,
// unless it is a Domain, which is replaced all the same.
func rewriteSetCookie(v, domain string) (string, bool) {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return "", false
		}
	}
	pair, attrs, _ := strings.Cut(v, ";")
	name, value, ok := strings.Cut(pair, "=")
	name, value = trimWSP(name), trimWSP(value)
	if !ok || name == "" || len(name)+len(value) > maxCookieNameValue {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(v) + len(domain))
	b.WriteString(name + "=" + value)
	wroteDomain := false
	for attr := range strings.SplitSeq(attrs, ";") {
		an, av, hasValue := strings.Cut(attr, "=")
		an, av = trimWSP(an), trimWSP(av)
		switch {
		case asciiEqualFold(an, "domain"):
			if av != "" && !wroteDomain {
				b.WriteString("; Domain=" + domain)
				wroteDomain = true
			}
			continue
		case an == "", len(an)+len(av) > maxCookieAttribute:
			continue
		}
		b.WriteString("; " + an)
		if hasValue {
			b.WriteString("=" + av)
		}
	}
	return b.String(), true
}

// trimWSP trims spaces and tabs, the whitespace of RFC 6265.
func trimWSP(s string) string { return strings.Trim(s, " \t") }

// asciiEqualFold compares s with the lower-case ASCII word lower, folding
// ASCII letters only: strings.EqualFold would also match Unicode
// look-alikes that browsers do not.
func asciiEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
