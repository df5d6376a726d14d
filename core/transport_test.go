package core_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// A call of another transport is authenticated by the checks of the HTTP
// path: the token of its authorization value, verified, then the rules.
func TestAuthenticateCall(t *testing.T) {
	env := authcases.NewEnv(t)
	a := core.NewAuthenticator(env.Validator, core.WithRefusalLog(nil, 0))
	valid := env.Issuer.MustMint(authtest.Claims{"sub": "user-7"})
	call := func(auth ...string) *core.Call {
		return &core.Call{Authorization: auth, Method: http.MethodPost, Path: "/shop.Orders/List"}
	}
	ctx, err := a.AuthenticateCall(context.Background(), call("Bearer "+valid))
	if err != nil {
		t.Fatalf("valid token: %v", err)
	}
	if c, ok := core.ClaimsFrom(ctx); !ok || c.Subject != "user-7" {
		t.Fatalf("claims %+v, %v", c, ok)
	}
	for _, tc := range []struct {
		name string
		call *core.Call
		want error
	}{
		{"no value", call(), core.ErrMissingToken},
		{"two values", call("Bearer "+valid, "Bearer "+valid), core.ErrInvalidRequest},
		{"basic scheme", call("Basic dXNlcjpwYXNz"), core.ErrInvalidRequest},
		{"DPoP scheme without WithDPoP", call("DPoP " + valid), core.ErrInvalidRequest},
		{"malformed token", call(`Bearer "` + valid + `"`), core.ErrInvalidRequest},
		{
			"expired",
			call("Bearer " + env.Issuer.MustMint(authtest.Claims{"exp": time.Now().Add(-time.Hour)})),
			core.ErrInvalidToken,
		},
	} {
		ctx, err := a.AuthenticateCall(context.Background(), tc.call)
		if !errors.Is(err, tc.want) || ctx != nil {
			t.Errorf("%s: %v, %v; want %v", tc.name, ctx, err, tc.want)
		}
	}
	// The Authenticator's rules, then the call's.
	_, err = a.AuthenticateCall(context.Background(), call("Bearer "+valid), core.RequireScopes("admin"))
	if !errors.Is(err, core.ErrInsufficientScope) {
		t.Fatalf("rule: %v, want insufficient scope", err)
	}
	strict := core.NewAuthenticator(
		env.Validator,
		core.WithRules(core.RequireVerifiedEmail()),
		core.WithRefusalLog(nil, 0),
	)
	_, err = strict.AuthenticateCall(context.Background(), call("Bearer "+valid))
	if !errors.Is(err, core.ErrForbidden) {
		t.Fatalf("Authenticator rule: %v, want forbidden", err)
	}
}

// DPoP over a call: the proof names the call's method and path after the
// public URL, and is refused for another path or when replayed.
func TestAuthenticateCallDPoP(t *testing.T) {
	env := authcases.NewEnv(t)
	a := core.NewAuthenticator(env.Validator, core.WithRefusalLog(nil, 0),
		withDPoP(t, core.DPoPConfig{Mode: core.DPoPAllowed, PublicURL: "https://grpc.example"}))
	key := authtest.NewDPoPKey(t)
	bound := env.Issuer.MustMint(authtest.BoundTo(key))
	call := func(proofs ...string) *core.Call {
		return &core.Call{
			Authorization: []string{"DPoP " + bound},
			DPoP:          proofs,
			Method:        http.MethodPost,
			Path:          "/shop.Orders/List",
		}
	}
	proof := key.Proof(http.MethodPost, "https://grpc.example/shop.Orders/List", bound)
	ctx, err := a.AuthenticateCall(context.Background(), call(proof))
	if err != nil {
		t.Fatalf("valid proof: %v", err)
	}
	if c, ok := core.ClaimsFrom(ctx); !ok || c.Confirmation.JKT != key.Thumbprint() {
		t.Fatalf("claims %+v", c)
	}
	for name, c := range map[string]*core.Call{
		"replayed proof":         call(proof),
		"proof for another path": call(key.Proof(http.MethodPost, "https://grpc.example/shop.Orders/Delete", bound)),
		"proof for GET":          call(key.Proof(http.MethodGet, "https://grpc.example/shop.Orders/List", bound)),
		"no proof":               call(),
	} {
		if _, err := a.AuthenticateCall(context.Background(), c); !errors.Is(err, core.ErrInvalidDPoPProof) {
			t.Errorf("%s: %v, want an invalid proof", name, err)
		}
	}
	// Presented as a Bearer token, a DPoP-bound token is refused.
	bearer := &core.Call{Authorization: []string{"Bearer " + bound}, Method: http.MethodPost, Path: "/shop.Orders/List"}
	if _, err := a.AuthenticateCall(context.Background(), bearer); !errors.Is(err, core.ErrInvalidToken) {
		t.Fatalf("bound token as Bearer: %v", err)
	}
}

// A certificate-bound token passes only with the certificate of the call's
// TLS connection.
func TestAuthenticateCallCertificateBinding(t *testing.T) {
	env := authcases.NewEnv(t)
	a := core.NewAuthenticator(env.Validator, core.WithRefusalLog(nil, 0))
	cert, other := authtest.NewClientCertificate(t, "svc-a"), authtest.NewClientCertificate(t, "svc-b")
	token := env.Issuer.MustMint(authtest.CertificateBoundTo(cert))
	call := func(state *tls.ConnectionState) *core.Call {
		return &core.Call{
			Authorization: []string{"Bearer " + token},
			Method:        http.MethodPost,
			Path:          "/shop.Orders/List",
			TLS:           state,
		}
	}
	peer := func(c *authtest.ClientCertificate) *tls.ConnectionState {
		return &tls.ConnectionState{PeerCertificates: []*x509.Certificate{c.Certificate}}
	}
	if _, err := a.AuthenticateCall(context.Background(), call(peer(cert))); err != nil {
		t.Fatalf("its certificate: %v", err)
	}
	for name, state := range map[string]*tls.ConnectionState{
		"another certificate": peer(other),
		"no certificate":      {},
		"no TLS":              nil,
	} {
		_, err := a.AuthenticateCall(context.Background(), call(state))
		if core.CheckOf(err) != "cnf" {
			t.Errorf("%s: %v, want a cnf refusal", name, err)
		}
	}
}

// A refused call is logged with its method and path, and never its token.
func TestAuthenticateCallRefusalLog(t *testing.T) {
	env := authcases.NewEnv(t)
	var buf bytes.Buffer
	a := core.NewAuthenticator(
		env.Validator,
		core.WithRefusalLog(slog.New(slog.NewTextHandler(&buf, nil)), slog.LevelInfo),
	)
	expired := env.Issuer.MustMint(authtest.Claims{"exp": time.Now().Add(-time.Hour)})
	c := &core.Call{Authorization: []string{"Bearer " + expired}, Method: http.MethodPost, Path: "/shop.Orders/List"}
	if _, err := a.AuthenticateCall(context.Background(), c); err == nil {
		t.Fatal("expired token admitted")
	}
	log := buf.String()
	for _, want := range []string{
		"check=exp",
		"method=POST",
		"path=/shop.Orders/List",
		"token_fingerprint=" + core.TokenFingerprint(expired),
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log %q lacks %q", log, want)
		}
	}
	if strings.Contains(log, expired) || strings.Contains(log, strings.Split(expired, ".")[2]) {
		t.Error("the log holds the token")
	}
}

// A cache hit through AuthenticateCall costs one allocation: the admission,
// which holds the claims and the context that carries them.
func TestAuthenticateCallCacheHitAllocations(t *testing.T) {
	env := authcases.NewEnv(t)
	a := core.NewAuthenticator(env.Validator)
	c := &core.Call{
		Authorization: []string{"Bearer " + env.Issuer.MustMint(nil)},
		Method:        http.MethodPost,
		Path:          "/shop.Orders/List",
	}
	ctx := context.Background()
	if _, err := a.AuthenticateCall(ctx, c); err != nil {
		t.Fatal(err)
	}
	n := testing.AllocsPerRun(100, func() {
		if _, err := a.AuthenticateCall(ctx, c); err != nil {
			panic(err)
		}
	})
	if n != 1 {
		t.Fatalf("%v allocations per cache hit, want 1", n)
	}
}
