package core

import (
	"errors"
	"net/url"
	"strings"
)

// CanonicalResource returns the canonical form of a resource URL (RFC 8707
// resource indicators, RFC 9728 resource identifiers): the scheme and host
// in lower case, the default port (443, 80) dropped, percent-encoding
// normalised (%6F is "o", %2f is %2F), and a path of "/" alone dropped, so
// that "https://API.example.com:443/" is "https://api.example.com". Any
// other path is kept as it is, trailing slash included:
// "https://api.example.com/mcp" and "https://api.example.com/mcp/" are two
// resources. A query is kept; a fragment, credentials, or anything but an
// absolute http(s) URL is an error.
//
// An Audience given as such a URL accepts a token whose aud names the same
// resource in another spelling: see Config.Audience.
func CanonicalResource(raw string) (string, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", errors.New("not a URL")
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "", u.Opaque != "": // url.Parse lower-cases the scheme
		return "", errors.New("a resource must be an absolute http or https URL")
	case strings.Contains(raw, "#"): // an empty fragment too
		return "", errors.New("a resource must not carry a fragment (RFC 8707)")
	case u.User != nil:
		return "", errors.New("a resource must not carry credentials")
	}
	scheme, host, path := normalizeOrigin(u)
	if path == "/" {
		path = ""
	}
	if u.RawQuery != "" || u.ForceQuery {
		path += "?" + u.RawQuery
	}
	return scheme + "://" + host + path, nil
}

// isResourceURL reports whether an audience is meant as a resource URL.
func isResourceURL(aud string) bool {
	scheme, _, ok := strings.Cut(aud, "://")
	return ok && (strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "http"))
}

// matchesResource reports whether one of aud names the same resource as
// one of the accepted audiences given as resource URLs, each compared in
// canonical form. It runs only when no audience matched exactly, so the
// exact match of the common case costs nothing more.
func matchesResource(aud, accepted []string) bool {
	for _, want := range accepted {
		if !isResourceURL(want) {
			continue
		}
		canonical, err := CanonicalResource(want)
		if err != nil {
			continue
		}
		for _, a := range aud {
			if isResourceURL(a) {
				if c, err := CanonicalResource(a); err == nil && c == canonical {
					return true
				}
			}
		}
	}
	return false
}
