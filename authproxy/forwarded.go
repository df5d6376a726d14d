package authproxy

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"
)

// errForwarding is why a request from a trusted proxy is refused when its
// forwarding headers do not name one client.
var errForwarding = errors.New("authproxy: forwarding headers cannot be resolved to one client")

// forwarding is what the proxy tells the provider about the client.
type forwarding struct {
	client netip.Addr // the zero Addr when unknown: nothing is stated then
	proto  string     // "http" or "https"
}

// claim is what one set of forwarding headers says; proto is "" when it
// says nothing about the scheme.
type claim struct {
	client netip.Addr
	proto  string
}

// resolveForwarding works out the client's address and scheme. From an
// untrusted peer (or with no TrustedProxies) they are the connection's own
// and every forwarding header is ignored. From a trusted proxy, its
// X-Forwarded-For and Forwarded are walked from the right, skipping trusted
// hops; the first untrusted address is the client. Headers that cannot be
// resolved, or that disagree with each other, are an error: the request is
// refused rather than attributed to a guess (which could be the balancer's
// own address, one a provider may exempt from rate limits). Every step is
// linear in the size of the headers.
func (p *Proxy) resolveForwarding(r *http.Request) (*forwarding, error) {
	f := &forwarding{proto: "http"}
	if r.TLS != nil {
		f.proto = "https"
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		f.client = ap.Addr().Unmap().WithZone("")
	}
	if f.client.IsValid() && p.isTrusted(f.client) {
		c, err := p.fromTrustedProxy(r.Header)
		if err != nil {
			return nil, err
		}
		if c.client.IsValid() {
			f.client = c.client
		}
		if c.proto != "" {
			f.proto = c.proto
		}
	}
	if p.publicScheme != "" {
		f.proto = p.publicScheme
	}
	return f, nil
}

// fromTrustedProxy reads the forwarding headers a trusted proxy sent. An
// empty claim means they say nothing.
func (p *Proxy) fromTrustedProxy(h http.Header) (claim, error) {
	var fromX, fromF *claim
	xff, xfp := listElements(h["X-Forwarded-For"]), listElements(h["X-Forwarded-Proto"])
	if len(xff) > 0 || len(xfp) > 0 {
		c, err := p.fromXForwarded(xff, xfp)
		if err != nil {
			return claim{}, err
		}
		fromX = &c
	}
	if len(h["Forwarded"]) > 0 {
		elems, err := parseForwarded(h["Forwarded"])
		if err != nil {
			return claim{}, err
		}
		if len(elems) > 0 {
			c, err := p.fromForwarded(elems)
			if err != nil {
				return claim{}, err
			}
			fromF = &c
		}
	}
	switch {
	case fromX == nil && fromF == nil:
		return claim{}, nil
	case fromF == nil:
		return *fromX, nil
	case fromX == nil:
		return *fromF, nil
	}
	// Both: one of them may have come from the client untouched, and there
	// is no telling which. Agreeing, they can be trusted; otherwise not.
	merged := *fromX
	switch {
	case fromX.client.IsValid() && fromF.client.IsValid() && fromX.client != fromF.client,
		fromX.proto != "" && fromF.proto != "" && fromX.proto != fromF.proto:
		return claim{}, errForwarding
	}
	if !merged.client.IsValid() {
		merged.client = fromF.client
	}
	if merged.proto == "" {
		merged.proto = fromF.proto
	}
	return merged, nil
}

// fromXForwarded resolves X-Forwarded-For and X-Forwarded-Proto. A single
// X-Forwarded-Proto is the client's scheme (proxies commonly overwrite it);
// a list is read at the client's position in X-Forwarded-For, and must be
// as long.
func (p *Proxy) fromXForwarded(xff, xfp []string) (claim, error) {
	var c claim
	i := -1
	if len(xff) > 0 {
		var err error
		if c.client, i, err = p.walk(len(xff), func(i int) string { return xff[i] }); err != nil {
			return claim{}, err
		}
	}
	var proto string
	switch {
	case len(xfp) == 0:
		return c, nil
	case len(xfp) == 1:
		proto = xfp[0]
	case len(xfp) == len(xff):
		proto = xfp[i]
	default:
		return claim{}, errForwarding
	}
	var ok bool
	if c.proto, ok = parseProto(proto); !ok {
		return claim{}, errForwarding
	}
	return c, nil
}

// fromForwarded resolves the elements of Forwarded (RFC 7239). The proto
// of the client's element is the scheme the client used.
func (p *Proxy) fromForwarded(elems []forwardedElement) (claim, error) {
	var c claim
	var i int
	var err error
	if c.client, i, err = p.walk(len(elems), func(i int) string { return elems[i].node }); err != nil {
		return claim{}, err
	}
	if proto := elems[i].proto; proto != "" {
		var ok bool
		if c.proto, ok = parseProto(proto); !ok {
			return claim{}, errForwarding
		}
	}
	return c, nil
}

// walk goes through the n nodes of a forwarding chain from the right, the
// hop nearest to this proxy, and returns the first one that is not a
// trusted proxy, with its index. Each was written by the trusted hop to its
// right, so it can be believed; what lies left of it was written by the
// client and is never read. When every hop is trusted, the leftmost is the
// client. A node that is not an IP address ("unknown", an obfuscated name,
// garbage) cannot be the client the provider is told about: error.
func (p *Proxy) walk(n int, node func(int) string) (netip.Addr, int, error) {
	var a netip.Addr
	for i := n - 1; i >= 0; i-- {
		var ok bool
		if a, ok = parseNode(node(i)); !ok {
			return netip.Addr{}, 0, errForwarding
		}
		if !p.isTrusted(a) {
			return a, i, nil
		}
	}
	return a, 0, nil
}

// isTrusted reports whether a is the address of a trusted proxy.
func (p *Proxy) isTrusted(a netip.Addr) bool {
	for _, t := range p.trusted {
		if t.Contains(a) {
			return true
		}
	}
	return false
}

// normalPrefix returns p masked, with an IPv4-mapped IPv6 prefix turned
// into the IPv4 prefix it covers (addresses are compared unmapped), or
// false if p is not a valid prefix.
func normalPrefix(p netip.Prefix) (netip.Prefix, bool) {
	if !p.IsValid() {
		return netip.Prefix{}, false
	}
	if a := p.Addr(); a.Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, false
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}

// parseNode reads a node of X-Forwarded-For or Forwarded's for=: an IPv4
// or IPv6 address, with or without brackets and a port. Zones are refused:
// no client on the internet has one.
func parseNode(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		switch {
		case perr == nil:
			a = ap.Addr()
		case len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']':
			if a, err = netip.ParseAddr(s[1 : len(s)-1]); err != nil || !a.Is6() {
				return netip.Addr{}, false
			}
		default:
			return netip.Addr{}, false
		}
	}
	if a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// parseProto accepts http and https, in any case.
func parseProto(s string) (string, bool) {
	switch {
	case strings.EqualFold(s, "http"):
		return "http", true
	case strings.EqualFold(s, "https"):
		return "https", true
	}
	return "", false
}

// listElements splits header values that are comma-separated lists into
// their elements, trimmed, skipping empty ones (RFC 9110 section 5.6.1).
func listElements(values []string) []string {
	var out []string
	for _, v := range values {
		for e := range strings.SplitSeq(v, ",") {
			if e = strings.Trim(e, " \t"); e != "" {
				out = append(out, e)
			}
		}
	}
	return out
}

// set writes the resolved forwarding headers: X-Forwarded-For (the client
// alone, so that a provider reading either end of the list gets it),
// X-Forwarded-Proto, X-Forwarded-Host when host is set, and the same in
// one Forwarded element.
func (f *forwarding) set(h http.Header, host string) {
	var fwd strings.Builder
	if f.client.IsValid() {
		ip := f.client.String()
		h.Set("X-Forwarded-For", ip)
		if f.client.Is6() {
			ip = `"[` + ip + `]"`
		}
		fwd.WriteString("for=" + ip + ";")
	}
	h.Set("X-Forwarded-Proto", f.proto)
	fwd.WriteString("proto=" + f.proto)
	if host != "" {
		h.Set("X-Forwarded-Host", host)
		fwd.WriteString(`;host="` + host + `"`)
	}
	h.Set("Forwarded", fwd.String())
}
