package core_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

func benchEnv(b testing.TB) (*authtest.Issuer, *core.Validator, string) {
	iss := authtest.NewIssuer(
		authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithAudience(authcases.Audience),
	)
	b.Cleanup(iss.Close)
	v := authcases.NewValidator(
		b,
		core.Config{Issuer: iss.URL(), Audience: []string{authcases.Audience}, Logger: authcases.Discard()},
	)
	return iss, v, iss.MustMint(authtest.Claims{"email": "a@example.com", "org": "o", "scope": "read write"})
}

// BenchmarkFloor is one raw RSA-2048 PKCS#1 v1.5 verification: the cost no
// local validation can avoid without a cache.
func BenchmarkFloor(b *testing.B) {
	key := &testkeys.RSA().PublicKey
	sum := sha256.Sum256([]byte("payload"))
	sig, _ := rsa.SignPKCS1v15(nil, testkeys.RSA(), crypto.SHA256, sum[:])
	b.ReportAllocs()
	for b.Loop() {
		if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGolangJWTParse(b *testing.B) {
	_, _, token := benchEnv(b)
	key := &testkeys.RSA().PublicKey
	p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience(authcases.Audience))
	b.ReportAllocs()
	for b.Loop() {
		var c jwt.RegisteredClaims
		if _, err := p.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return key, nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	_, v, token := benchEnv(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	_, v, token := benchEnv(b)
	a := core.NewAuthenticator(v)
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFreshCheck measures a freshness check on top of local
// validation: a real RFC 7662 call to the issuer on loopback (no cache),
// and a check answered from the Introspector's cache.
func BenchmarkFreshCheck(b *testing.B) {
	_, v, token := benchEnv(b)
	c, err := v.Verify(context.Background(), token)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		ttl  time.Duration
	}{{"call", time.Nanosecond}, {"cached", time.Minute}} {
		b.Run(bc.name, func(b *testing.B) {
			in, err := core.NewIntrospector(v, core.IntrospectionConfig{
				ClientID:     authtest.IntrospectionClientID,
				ClientSecret: authtest.IntrospectionClientSecret,
				CacheTTL:     bc.ttl,
			})
			if err != nil {
				b.Fatal(err)
			}
			defer in.Close()
			b.ReportAllocs()
			for b.Loop() {
				if err := in.CheckFresh(context.Background(), token, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStepUpCacheHit measures what a step-up rule (acr with levels,
// auth_time) adds to a cache hit: compare stepup with plain, and the
// difference with BenchmarkFloor, in the same run.
func BenchmarkStepUpCacheHit(b *testing.B) {
	iss, v, _ := benchEnv(b)
	token := iss.MustMint(
		authtest.Claims{"acr": "phr", "amr": []string{"pwd", "hwk"}, "auth_time": time.Now(), "scope": "read write"},
	)
	for _, bc := range []struct {
		name  string
		rules []core.Rule
	}{
		{"plain", nil},
		{"stepup", []core.Rule{core.RequireStepUp(authcases.StepUpRoute())}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			a := core.NewAuthenticator(v, core.WithRules(bc.rules...))
			req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Authenticate(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRequireStepUpRule is the step-up rule alone, as a cache hit
// runs it: the added cost on a cache hit, to set against BenchmarkFloor
// (BenchmarkStepUpCacheHit shows it within the noise of a whole request).
func BenchmarkRequireStepUpRule(b *testing.B) {
	rule := core.RequireStepUp(authcases.StepUpRoute())
	c := &core.Claims{Subject: "u", ACR: "phr", AuthTime: time.Now()}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := rule(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}
