package core

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
)

// CertificateBinding configures how certificate-bound tokens (RFC 8705: a
// cnf with x5t#S256) are checked. By default the client certificate is the
// one of the request's own TLS connection (r.TLS.PeerCertificates[0]).
type CertificateBinding struct {
	// Header, when set, names the request header in which a TLS-terminating
	// proxy passes the client certificate it verified, URL-encoded PEM
	// (nginx's $ssl_client_escaped_cert, Traefik, ...). It is believed only
	// from TrustedProxies, and only when the request has no TLS client
	// certificate of its own.
	Header string
	// TrustedProxies are the proxies allowed to set Header.
	TrustedProxies []netip.Prefix
}

// WithCertificateBinding sets how certificate-bound tokens are checked.
// Whatever it says, such a token is accepted only with the certificate its
// x5t#S256 names.
func WithCertificateBinding(cfg CertificateBinding) Option {
	return optionFunc(func(s *settings) { s.certs = &certBinding{cfg: cfg} })
}

type certBinding struct{ cfg CertificateBinding }

// check compares the client certificate's SHA-256 thumbprint with x5t: the
// certificate of c's TLS connection, else, for an HTTP request from a
// trusted proxy, the one in the proxy's header. A nil receiver checks the
// TLS connection only.
func (b *certBinding) check(c *Call, x5t string) error {
	var cert []byte
	switch r := c.req; {
	case c.TLS != nil && len(c.TLS.PeerCertificates) > 0:
		cert = c.TLS.PeerCertificates[0].Raw
	case b != nil && b.cfg.Header != "" && r != nil && b.trusted(r):
		var err error
		if cert, err = headerCertificate(r.Header.Values(b.cfg.Header)); err != nil {
			return tokenErr(CheckCnf, fmt.Sprintf("the client certificate from the proxy is unreadable: %v", err), nil)
		}
	default:
		return tokenErr(CheckCnf, "the token is bound to a client certificate, and the request has none", nil)
	}
	sum := sha256.Sum256(cert)
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(x5t)) != 1 {
		return tokenErr(CheckCnf, "the token is bound to another client certificate", nil)
	}
	return nil
}

// trusted reports whether the request's peer is a trusted proxy.
func (b *certBinding) trusted(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	for _, p := range b.cfg.TrustedProxies {
		if p.Contains(addr.Unmap()) {
			return true
		}
	}
	return false
}

// headerCertificate reads one URL-encoded PEM certificate.
func headerCertificate(values []string) ([]byte, error) {
	if len(values) != 1 || len(values[0]) > 16<<10 {
		return nil, fmt.Errorf("want exactly one certificate")
	}
	decoded, err := url.QueryUnescape(values[0])
	if err != nil {
		return nil, fmt.Errorf("not URL-encoded")
	}
	block, _ := pem.Decode([]byte(decoded))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("not a PEM certificate")
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return nil, fmt.Errorf("not an X.509 certificate")
	}
	return block.Bytes, nil
}
