package authtest_test

import (
	"crypto/elliptic"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/testkeys"
	"github.com/identsphere/identsphere-go/stdauth"
)

// Every key the kit makes, with every algorithm it signs with, mints
// proofs a resource server using core admits: within core's proof-key
// limits (RSA-2048 by default, up to 4096 bits when configured; P-256,
// P-384, P-521; Ed25519). Keys outside them, which the kit can also make
// for hostile tests, are refused with the limit named.
func TestDPoPKeysMintProofsCoreAdmits(t *testing.T) {
	iss := newIssuer(t)
	v := newValidator(iss)
	t.Cleanup(func() { _ = v.Close() })
	const publicURL = "https://api.example"
	handler := func(maxRSABits int) http.Handler {
		cfg := core.DPoPConfig{
			Mode: core.DPoPAllowed, PublicURL: publicURL, MaxProofRSABits: maxRSABits,
			Algorithms: []string{
				"ES256", "ES384", "ES512", "EdDSA", "RS256", "PS256", "RS384", "PS384", "RS512", "PS512",
			},
		}
		return stdauth.Middleware(v, withDPoP(t, cfg))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	}
	byDefault, rsa4096 := handler(0), handler(4096)
	rsa2048 := authtest.NewDPoPKey(t, authtest.DPoPKeyRSA(2048))
	for _, c := range []struct {
		name   string
		key    *authtest.DPoPKey
		opts   []authtest.ProofOption
		h      http.Handler
		status int
	}{
		{"default key", authtest.NewDPoPKey(t), nil, byDefault, 200},
		{"P-384", authtest.NewDPoPKey(t, authtest.DPoPKeyECDSA(elliptic.P384())), nil, byDefault, 200},
		{"P-521", authtest.NewDPoPKey(t, authtest.DPoPKeyECDSA(elliptic.P521())), nil, byDefault, 200},
		{"Ed25519", authtest.NewDPoPKey(t, authtest.DPoPKeyEd25519()), nil, byDefault, 200},
		{"RSA-2048 RS256", rsa2048, nil, byDefault, 200},
		{"RSA-2048 PS256", rsa2048, []authtest.ProofOption{authtest.WithProofAlg("PS256")}, byDefault, 200},
		{
			"RSA-4096 PS512 where allowed",
			authtest.NewDPoPKey(t, authtest.DPoPKeySigner(testkeys.RSA4096())),
			[]authtest.ProofOption{authtest.WithProofAlg("PS512")},
			rsa4096,
			200,
		},
		{
			"RSA-4096 by default",
			authtest.NewDPoPKey(t, authtest.DPoPKeySigner(testkeys.RSA4096())),
			nil,
			byDefault,
			401,
		},
		{"RSA-4160", authtest.NewDPoPKey(t, authtest.DPoPKeySigner(testkeys.RSA4160())), nil, rsa4096, 401},
		{
			"RSA-2048 with the exponent 3",
			authtest.NewDPoPKey(t, authtest.DPoPKeySigner(testkeys.RSAExponent3())),
			nil,
			rsa4096,
			401,
		},
		{"RSA-1024", authtest.NewDPoPKey(t, authtest.DPoPKeySigner(testkeys.RSA1024())), nil, rsa4096, 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			token := iss.Token(t, authtest.BoundTo(c.key))
			req := httptest.NewRequest(http.MethodGet, publicURL+"/orders", nil)
			c.key.Authorize(req, token, c.opts...)
			rec := httptest.NewRecorder()
			c.h.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, c.status)
			}
		})
	}
}

// withDPoP is core.WithDPoP over core.NewDPoP(cfg), failing tb on an error.
func withDPoP(tb testing.TB, cfg core.DPoPConfig) core.Option {
	tb.Helper()
	d, err := core.NewDPoP(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return core.WithDPoP(d)
}
