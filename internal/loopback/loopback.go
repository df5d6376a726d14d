// Package loopback tells loopback Host headers apart, for what may answer
// only the developer's own machine: the development issuer (authtest) and
// a service that trusts it (resourceserver in dev mode). It lives apart
// from both so that production code can refuse a rebound name without
// linking the development issuer in.
package loopback

import (
	"net"
	"net/netip"
	"strings"
)

// Host reports whether host, a Host header with or without a port, is
// localhost, an address in 127.0.0.0/8, or [::1]. Anything else is
// refused: DNS rebinding sends a browser's requests to 127.0.0.1 under an
// attacker's name.
func Host(host string) bool {
	if h, port, err := net.SplitHostPort(host); err == nil {
		if strings.Trim(port, "0123456789") != "" {
			return false
		}
		host = h
	} else if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	} else if strings.Contains(host, ":") {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Zone() == "" && a.Unmap().IsLoopback()
}
