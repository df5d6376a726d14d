package grpcauth_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// DPoP over gRPC: the proof in the "dpop" metadata names POST and the
// public authority followed by the full method; a replayed proof, or one
// for another method or HTTP verb, is refused, unary and streaming.
func TestDPoPOverGRPC(t *testing.T) {
	env := authcases.NewEnv(t)
	const public = "https://orders.example"
	checker, err := core.NewDPoP(core.DPoPConfig{Mode: core.DPoPAllowed, PublicURL: public})
	if err != nil {
		t.Fatal(err)
	}
	dpop := core.WithDPoP(checker)
	unary := serve(t, newInterceptors(t, env.Validator, dpop), unaryService(), nil)
	streams := serve(t, newInterceptors(t, env.Validator, dpop), streamService(), nil)
	key := authtest.NewDPoPKey(t)
	bound := env.Issuer.MustMint(authtest.BoundTo(key, authtest.Claims{"sub": "dpop-user"}))
	md := func(proof string) metadata.MD {
		return metadata.Pairs("authorization", "DPoP "+bound, "dpop", proof)
	}
	ctx := context.Background()
	for name, call := range map[string]func(context.Context, string, metadata.MD) (string, error){
		"unary": func(ctx context.Context, m string, md metadata.MD) (string, error) {
			return unary.unary(ctx, m, md)
		},
		"stream": streams.stream,
	} {
		proof := key.Proof(http.MethodPost, public+"/api/me", bound)
		if sub, err := call(ctx, "/api/me", md(proof)); err != nil || sub != "dpop-user" {
			t.Fatalf("%s: valid proof: %q, %v", name, sub, err)
		}
		for what, m := range map[string]metadata.MD{
			"replayed proof":           md(proof),
			"proof for another method": md(key.Proof(http.MethodPost, public+"/api/admin", bound)),
			"proof for GET":            md(key.Proof(http.MethodGet, public+"/api/me", bound)),
			"proof for another host":   md(key.Proof(http.MethodPost, "https://evil.example/api/me", bound)),
			"no proof":                 metadata.Pairs("authorization", "DPoP "+bound),
			"bound token as Bearer":    metadata.Pairs("authorization", "Bearer "+bound),
		} {
			_, err := call(ctx, "/api/me", m)
			if st := status.Convert(err); st.Code() != codes.Unauthenticated || strings.Contains(st.Message(), bound) {
				t.Errorf("%s: %s: %v", name, what, err)
			}
		}
	}
}

// A certificate-bound token passes only over a TLS connection with the
// client certificate it names.
func TestCertificateBoundOverGRPC(t *testing.T) {
	env := authcases.NewEnv(t)
	// httptest's certificate, valid for 127.0.0.1, serves as the server's.
	hs := httptest.NewUnstartedServer(nil)
	hs.StartTLS()
	serverCert, roots := hs.TLS.Certificates[0], x509.NewCertPool()
	roots.AddCert(hs.Certificate())
	hs.Close()
	creds := credentials.NewTLS(
		&tls.Config{
			Certificates: []tls.Certificate{serverCert},
			ClientAuth:   tls.RequireAnyClientCert,
			MinVersion:   tls.VersionTLS12,
		},
	)
	cert, other := authtest.NewClientCertificate(t, "svc-a"), authtest.NewClientCertificate(t, "svc-b")
	token := env.Issuer.MustMint(authtest.CertificateBoundTo(cert, authtest.Claims{"sub": "svc-a"}))
	md := metadata.Pairs("authorization", "Bearer "+token)
	dial := func(c *authtest.ClientCertificate) grpc.DialOption {
		return grpc.WithTransportCredentials(
			credentials.NewTLS(
				&tls.Config{
					RootCAs:      roots,
					Certificates: []tls.Certificate{c.TLSCertificate()},
					MinVersion:   tls.VersionTLS12,
				},
			),
		)
	}
	auth := newInterceptors(t, env.Validator)
	s := serve(t, auth, unaryService(), creds, dial(cert))
	if sub, err := s.unary(context.Background(), "/api/me", md); err != nil || sub != "svc-a" {
		t.Fatalf("with its certificate: %q, %v", sub, err)
	}
	s = serve(t, auth, unaryService(), creds, dial(other))
	_, err := s.unary(context.Background(), "/api/me", md)
	if st := status.Convert(err); st.Code() != codes.Unauthenticated ||
		!strings.Contains(st.Message(), "another client certificate") {
		t.Fatalf("with another certificate: %v", err)
	}
	s = serve(t, auth, unaryService(), nil)
	_, err = s.unary(context.Background(), "/api/me", md)
	if st := status.Convert(err); st.Code() != codes.Unauthenticated || !strings.Contains(st.Message(), "has none") {
		t.Fatalf("without TLS: %v", err)
	}
}
