package authproxy

import (
	"fmt"
	"net/http"
	"strings"
)

// DefaultRequestHeaders returns the request headers the proxy forwards by
// default: what a browser or API client legitimately sends to a login,
// signup or session API, and nothing else.
//
//	Accept, Accept-Language, Accept-Encoding  content negotiation; the language of
//	                                          error messages and mails; compressed answers
//	Content-Type, Content-Length              the body's format and size
//	Cookie                                    the provider's session and refresh cookies
//	User-Agent                                session and device lists, abuse detection
//	Origin, Referer, Sec-Fetch-Site,          the provider's own CSRF defence
//	Sec-Fetch-Mode, Sec-Fetch-Dest,
//	Sec-Fetch-User
//	X-Requested-With, X-Csrf-Token,           CSRF markers and double-submit tokens
//	X-Xsrf-Token                              of single-page login forms
//
// Everything else is dropped, an allow-list rather than a list of known
// bad headers, which would always miss the next one: Authorization (the
// application's credential, not the provider's), and every header through
// which a client could pose as another client or ask for another URL or
// method (X-Real-Ip, Cf-Connecting-Ip, True-Client-Ip, X-Original-Url,
// X-Http-Method-Override, ...). The proxy states the client itself; see
// Config.TrustedProxies. Config.ExtraRequestHeaders adds to the list.
func DefaultRequestHeaders() []string {
	return []string{
		"Accept", "Accept-Language", "Accept-Encoding",
		"Content-Type", "Content-Length",
		"Cookie",
		"User-Agent",
		"Origin", "Referer", "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-Fetch-User",
		"X-Requested-With", "X-Csrf-Token", "X-Xsrf-Token",
	}
}

// requestHeaderSet returns the canonical names of the default headers and
// extra, or why an extra name may not be forwarded.
func requestHeaderSet(extra []string) (map[string]bool, []error) {
	set := make(map[string]bool)
	for _, name := range DefaultRequestHeaders() {
		set[name] = true
	}
	var errs []error
	for _, name := range extra {
		if !validHeaderName(name) {
			errs = append(errs, fmt.Errorf("%q is not a header name", name))
			continue
		}
		name = http.CanonicalHeaderKey(name)
		if reason := reservedHeader(name); reason != "" {
			errs = append(errs, fmt.Errorf("%s is %s", name, reason))
			continue
		}
		set[name] = true
	}
	return set, errs
}

// reservedHeader says why the canonical header name may not be added to
// the forwarded headers, or "" if it may. This is a guard against a
// configuration mistake, not the protection itself: that is the
// allow-list.
func reservedHeader(name string) string {
	switch name {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return "hop-by-hop"
	case "Host", "Forwarded", "X-Real-Ip", "X-Client-Ip", "True-Client-Ip",
		"Cf-Connecting-Ip", "Fastly-Client-Ip", "X-Cluster-Client-Ip", "Client-Ip",
		"X-Originating-Ip", "X-Remote-Ip", "X-Remote-Addr", "X-Envoy-External-Address",
		"X-Appengine-User-Ip", "X-Azure-Clientip", "X-Azure-Socketip",
		"X-Original-Host", "X-Host", "X-Http-Host-Override", "X-Original-Url",
		"X-Original-Uri", "X-Rewrite-Url", "X-Envoy-Original-Path",
		"X-Http-Method-Override", "X-Http-Method", "X-Method-Override":
		return "stated by the proxy, never by the client"
	}
	if strings.HasPrefix(name, "X-Forwarded-") {
		return "stated by the proxy, never by the client"
	}
	return ""
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// filterHeaders deletes from h every header that is not on the allow-list.
// The server has canonicalised the names it could; a name it could not
// (one with a space, say) matches nothing here and is dropped too.
func (p *Proxy) filterHeaders(h http.Header) {
	for name := range h {
		if !p.headers[name] {
			delete(h, name)
		}
	}
}
