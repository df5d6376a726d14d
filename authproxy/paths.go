package authproxy

import (
	"net/http"
	"net/textproto"
	"net/url"
	"path"
	"strings"
)

// pathPrefix is the only part of an application's URL space the proxy
// ever forwards.
const pathPrefix = "/v1/auth/"

// allows reports whether the cleaned path is on the allow-list.
func (p *Proxy) allows(clean string) bool {
	for _, a := range p.allowed {
		if clean == a || strings.HasSuffix(a, "/") && strings.HasPrefix(clean, a) {
			return true
		}
	}
	return false
}

// cleanPath returns the canonical form of a percent-decoded request path
// (url.URL.Path), or false if it must not be forwarded: not under
// /v1/auth/ once dot segments are resolved, or holding a byte that some
// server along the way might read differently than path.Clean does: '%'
// (the path was encoded twice), '\' (a separator on Windows and to some
// frameworks), ';' (ends a segment for Java servers, as in "..;/"), and
// anything but visible ASCII: control characters, NUL, spaces, and the
// Unicode look-alikes of '.' and '/' that some servers normalise. An
// authentication API needs none of them. A trailing slash is kept, so
// "/x/" and "/x" stay distinct for the allow-list.
func cleanPath(p string) (string, bool) {
	if !strings.HasPrefix(p, "/") {
		return "", false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c >= 0x7f || c == '%' || c == '\\' || c == ';' {
			return "", false
		}
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if !strings.HasPrefix(clean, pathPrefix) {
		return "", false
	}
	return clean, true
}

// upgradeRequested reports whether h asks to switch protocols. The proxy
// forwards plain request-response exchanges only; a tunnel to the provider
// would escape every check made here.
func upgradeRequested(h http.Header) bool {
	if len(h["Upgrade"]) > 0 {
		return true
	}
	for _, v := range h["Connection"] {
		for token := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(textproto.TrimString(token), "upgrade") {
				return true
			}
		}
	}
	return false
}

// validForwardedHost accepts a host name, IPv4 or bracketed IPv6 address,
// with an optional port: nothing that could split or extend a header.
func validForwardedHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']'
		if !ok {
			return false
		}
	}
	u, err := url.Parse("//" + h)
	return err == nil && u.Host == h && u.Hostname() != ""
}
