package authtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// ClientCertificate is a self-signed X.509 client certificate and its
// private key, for tests of certificate-bound tokens (RFC 8705, mutual-TLS
// client authentication): the issuer binds a token to the certificate
// (CertificateBoundTo puts its thumbprint in the token's cnf claim) and the
// client presents the certificate in the TLS handshake, or a TLS-
// terminating proxy passes it on in a header.
type ClientCertificate struct {
	// Certificate is the certificate; Certificate.Raw is its DER encoding.
	Certificate *x509.Certificate
	// Key is its private key, ECDSA on P-256.
	Key crypto.Signer
}

// NewClientCertificate returns a new self-signed client certificate for
// commonName, valid from an hour ago for a day, and fails the test if it
// cannot be made.
func NewClientCertificate(t testing.TB, commonName string) *ClientCertificate {
	t.Helper()
	c, err := GenerateClientCertificate(commonName)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// GenerateClientCertificate is NewClientCertificate without a test.
func GenerateClientCertificate(commonName string) (*ClientCertificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("authtest: client certificate: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("authtest: client certificate: %w", err)
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("authtest: client certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("authtest: client certificate: %w", err)
	}
	return &ClientCertificate{Certificate: cert, Key: key}, nil
}

// Thumbprint returns the certificate's SHA-256 thumbprint, the value of a
// bound token's cnf x5t#S256 claim (see CertificateThumbprint).
func (c *ClientCertificate) Thumbprint() string { return CertificateThumbprint(c.Certificate) }

// TLSCertificate returns the certificate and key for a tls.Config's
// Certificates, as a client presents them.
func (c *ClientCertificate) TLSCertificate() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{c.Certificate.Raw}, PrivateKey: c.Key, Leaf: c.Certificate}
}

// PEM returns the certificate PEM-encoded, as TLS-terminating proxies pass
// it on (URL-escaped, in nginx's $ssl_client_escaped_cert).
func (c *ClientCertificate) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate.Raw})
}

// Client returns a client for srv, a server started with StartTLS, that
// presents the certificate. It trusts srv's certificate as srv.Client()
// does, and keeps no connection open between requests, so it leaves
// nothing behind when the test ends. For the server to ask for the
// certificate, set srv.TLS = &tls.Config{ClientAuth:
// tls.RequireAnyClientCert} before StartTLS.
func (c *ClientCertificate) Client(srv *httptest.Server) *http.Client {
	base, ok := srv.Client().Transport.(*http.Transport)
	if !ok || base.TLSClientConfig == nil {
		panic("authtest: ClientCertificate.Client: the server was not started with StartTLS")
	}
	tr := base.Clone()
	tr.DisableKeepAlives = true
	tr.TLSClientConfig.Certificates = []tls.Certificate{c.TLSCertificate()}
	return &http.Client{Transport: tr}
}

// CertificateThumbprint returns the X.509 certificate SHA-256 thumbprint of
// RFC 8705 section 3.1: the SHA-256 of the certificate's DER encoding,
// base64url without padding.
func CertificateThumbprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return b64.EncodeToString(sum[:])
}

// CertificateBoundTo returns claims for a token bound to cert: cnf (RFC
// 7800) holding x5t#S256, the certificate's thumbprint (RFC 8705 section
// 3.1), added to a copy of claims (the last wins where several name the
// same claim):
//
//	token := iss.Token(t, authtest.CertificateBoundTo(cert, authtest.Claims{"sub": "billing-job"}))
func CertificateBoundTo(cert *ClientCertificate, claims ...Claims) Claims {
	return withConfirmation(map[string]any{"x5t#S256": cert.Thumbprint()}, claims)
}
