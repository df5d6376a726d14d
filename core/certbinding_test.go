package core_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// clientCert makes a self-signed client certificate.
func clientCert(t *testing.T, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func x5tS256(c tls.Certificate) string {
	sum := sha256.Sum256(c.Certificate[0])
	return b64u.EncodeToString(sum[:])
}

// Certificate-bound tokens over real mutual TLS, and behind a trusted
// TLS-terminating proxy.
func TestCertificateBoundTokens(t *testing.T) {
	iss := newIssuer(t)
	v := authcases.NewValidator(t, config(iss))
	mine, theirs := clientCert(t, "mine"), clientCert(t, "theirs")
	bound := iss.MustMint(authtest.Claims{"cnf": map[string]string{"x5t#S256": x5tS256(mine)}})

	a := core.NewAuthenticator(v)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := a.Admit(w, r); ok {
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	get := func(cert *tls.Certificate, token string) int {
		tr := srv.Client().Transport.(*http.Transport).Clone()
		if cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
		}
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for name, tc := range map[string]struct {
		cert  *tls.Certificate
		token string
		want  int
	}{
		"the bound certificate":   {&mine, bound, 204},
		"another certificate":     {&theirs, bound, 401},
		"no certificate":          {nil, bound, 401},
		"a bearer token, no cert": {nil, iss.MustMint(nil), 204},
	} {
		if got := get(tc.cert, tc.token); got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}

	// Behind a proxy that passes the certificate as URL-encoded PEM.
	pemCert := url.QueryEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: mine.Certificate[0]})))
	proxied := core.NewAuthenticator(v, core.WithCertificateBinding(core.CertificateBinding{
		Header: "X-Client-Cert", TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	}))
	for name, tc := range map[string]struct {
		remote, header string
		want           int
	}{
		"from the trusted proxy": {"10.1.2.3:5000", pemCert, 204},
		"from another peer":      {"192.0.2.9:5000", pemCert, 401},
		"garbage from the proxy": {"10.1.2.3:5000", "not-a-cert", 401},
		"no header from it":      {"10.1.2.3:5000", "", 401},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tc.remote
		r.Header.Set("Authorization", "Bearer "+bound)
		if tc.header != "" {
			r.Header.Set("X-Client-Cert", tc.header)
		}
		w := httptest.NewRecorder()
		status := 204
		if _, ok := proxied.Admit(w, r); !ok {
			status = w.Code
		}
		if status != tc.want {
			t.Errorf("%s: %d, want %d", name, status, tc.want)
		}
	}
}
