package authtest_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/stdauth"
)

// TestClientCertificateOverTLS presents the certificate in a real TLS
// handshake: the server sees it, and its thumbprint there is Thumbprint.
func TestClientCertificateOverTLS(t *testing.T) {
	cert := authtest.NewClientCertificate(t, "billing-job")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) != 1 {
			http.Error(w, "no client certificate", http.StatusUnauthorized)
			return
		}
		sum := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
		_, _ = io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName+" "+b64url.EncodeToString(sum[:]))
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	srv.StartTLS()
	t.Cleanup(srv.Close)

	resp, err := cert.Client(srv).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "billing-job " + cert.Thumbprint(); resp.StatusCode != http.StatusOK || string(body) != want {
		t.Fatalf("%d %q, want 200 %q", resp.StatusCode, body, want)
	}

	// Without the certificate, the server refuses the handshake: the test
	// above passed because the certificate was presented.
	bare := srv.Client().Transport.(*http.Transport).Clone()
	bare.DisableKeepAlives = true
	if resp, err := (&http.Client{Transport: bare}).Get(srv.URL); err == nil {
		resp.Body.Close()
		t.Fatal("the server admitted a client without a certificate")
	}
}

func TestClientCertificateContents(t *testing.T) {
	cert := authtest.NewClientCertificate(t, "svc")
	c := cert.Certificate
	now := time.Now()
	if c.Subject.CommonName != "svc" || now.Before(c.NotBefore) || now.After(c.NotAfter) ||
		len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
		t.Fatalf("certificate %+v", c)
	}
	if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
		t.Fatalf("not self-signed: %v", err)
	}
	block, rest := pem.Decode(cert.PEM())
	if block == nil || block.Type != "CERTIFICATE" || !bytes.Equal(block.Bytes, c.Raw) || len(rest) != 0 {
		t.Fatalf("PEM %q", cert.PEM())
	}
	sum := sha256.Sum256(c.Raw)
	if cert.Thumbprint() != b64url.EncodeToString(sum[:]) || authtest.CertificateThumbprint(c) != cert.Thumbprint() {
		t.Fatalf("thumbprint %s", cert.Thumbprint())
	}
	if other := authtest.NewClientCertificate(t, "svc"); other.Thumbprint() == cert.Thumbprint() {
		t.Fatal("two certificates share a thumbprint")
	}
	tlsCert := cert.TLSCertificate()
	if len(tlsCert.Certificate) != 1 || !bytes.Equal(tlsCert.Certificate[0], c.Raw) || tlsCert.PrivateKey != cert.Key {
		t.Fatal("TLSCertificate is not the certificate and its key")
	}
}

func TestCertificateBoundTo(t *testing.T) {
	cert := authtest.NewClientCertificate(t, "svc")
	token := newIssuer(t).Token(t, authtest.CertificateBoundTo(cert, authtest.Claims{"sub": "svc"}))
	var payload struct {
		Sub string            `json:"sub"`
		Cnf map[string]string `json:"cnf"`
	}
	if err := json.Unmarshal(mustB64(t, strings.Split(token, ".")[1]), &payload); err != nil {
		t.Fatal(err)
	}
	if payload.Sub != "svc" || len(payload.Cnf) != 1 || payload.Cnf["x5t#S256"] != cert.Thumbprint() {
		t.Fatalf("minted %+v, want cnf x5t#S256 %s", payload, cert.Thumbprint())
	}
}

func TestClientCertificateClientNeedsATLSServer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	defer func() {
		if recover() == nil {
			t.Error("Client accepted a server without TLS")
		}
	}()
	authtest.NewClientCertificate(t, "svc").Client(srv)
}

// A certificate-bound token (RFC 8705) over mutual TLS: admitted from the
// client holding the certificate, refused from one holding another.
func ExampleCertificateBoundTo() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v := newValidator(iss)
	defer v.Close()

	srv := httptest.NewUnstartedServer(
		stdauth.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			claims, _ := core.ClaimsFrom(r.Context())
			fmt.Fprint(w, claims.Subject)
		})),
	)
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert} // ask for the client's certificate
	srv.StartTLS()
	defer srv.Close()

	cert := must(authtest.GenerateClientCertificate("billing-job")) // authtest.NewClientCertificate(t, ...) in a test
	other := must(authtest.GenerateClientCertificate("billing-job"))
	token := iss.MustMint(authtest.CertificateBoundTo(cert, authtest.Claims{"sub": "billing-job"}))
	for _, client := range []*http.Client{cert.Client(srv), other.Client(srv)} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, string(body))
	}
	// Output:
	// 200 billing-job
	// 401 {"error":"invalid_token","error_description":"the token is bound to another client certificate"}
}
