package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

func newMulti(t testing.TB, mc core.MultiConfig) *core.Validator {
	t.Helper()
	if mc.Logger == nil {
		mc.Logger = authcases.Discard()
	}
	v, err := core.NewMulti(t.Context(), mc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := v.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSeveralIssuers(t *testing.T) {
	a := authtest.NewIssuer(authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()), authtest.WithAudience("orders-api"))
	b := authtest.NewIssuer(authtest.WithKey(testkeys.KIDEC, testkeys.EC()), authtest.WithAudience("orders"))
	stranger := authtest.NewIssuer(authtest.WithKey(testkeys.KIDRSA2, testkeys.RSA2()))
	for _, iss := range []*authtest.Issuer{a, b, stranger} {
		t.Cleanup(iss.Close)
	}
	v := newMulti(t, core.MultiConfig{Issuers: []core.Config{
		{Issuer: a.URL(), Audience: []string{"orders-api"}},
		{Issuer: b.URL(), Audience: []string{"orders"}, IssuerAliases: []string{"b.example"}},
	}})

	for name, tc := range map[string]struct {
		token, admittedBy string
	}{
		"issuer A":      {a.MustMint(nil), a.URL()},
		"issuer B":      {b.MustMint(nil), b.URL()},
		"B's alias":     {b.MustMint(authtest.Claims{"iss": "b.example"}), b.URL()},
		"A, cached now": {a.MustMint(nil), a.URL()},
	} {
		for range 2 { // the second verification is a cache hit
			c, err := v.Verify(t.Context(), tc.token)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if c.AdmittedBy != tc.admittedBy {
				t.Fatalf("%s: admitted by %q, want %q", name, c.AdmittedBy, tc.admittedBy)
			}
		}
	}

	jwksBefore := a.JWKSFetches() + b.JWKSFetches()
	for name, tc := range map[string]struct {
		token string
		check core.Check
	}{
		"A's token with B's audience": {a.MustMint(authtest.Claims{"aud": "orders"}), "aud"},
		"B's token with A's audience": {b.MustMint(authtest.Claims{"aud": "orders-api"}), "aud"},
		"an issuer outside the set":   {stranger.MustMint(nil), "iss"},
		"no iss":                      {a.MustMint(authtest.Claims{"iss": nil}), "iss"},
		"iss not a string":            {a.MustMint(authtest.Claims{"iss": 42}), "iss"},
		"A's key claiming to be B":    {a.MustMint(authtest.Claims{"iss": b.URL(), "aud": "orders"}), "kid"},
	} {
		_, err := v.Verify(t.Context(), tc.token)
		wantCheckNamed(t, name, err, tc.check)
	}
	if stranger.DiscoveryFetches()+stranger.JWKSFetches() != 0 {
		t.Fatal("a token naming an untrusted issuer made the service contact it")
	}
	if n := a.JWKSFetches() + b.JWKSFetches() - jwksBefore; n > 1 {
		t.Fatalf("%d key fetches for refused tokens", n)
	}

	// A cache hit with several issuers allocates only the caller's copy.
	tok := b.MustMint(nil)
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(50, func() { _, _ = v.Verify(context.Background(), tok) }); n > 1 {
		t.Fatalf("a multi-issuer cache hit allocates %.0f times, want 1", n)
	}

	for _, bad := range []core.MultiConfig{
		{},
		{Issuers: []core.Config{
			{Issuer: a.URL(), Audience: []string{"x"}},
			{Issuer: a.URL(), Audience: []string{"y"}},
		}},
		{Issuers: []core.Config{
			{Issuer: a.URL(), Audience: []string{"x"}},
			{Issuer: b.URL(), Audience: []string{"y"}, IssuerAliases: []string{a.URL()}},
		}},
		{Issuers: []core.Config{{JWKSURL: a.JWKSURL(), SkipIssuerCheck: true, Audience: []string{"x"}}}},
		{Templates: []core.IssuerTemplate{{
			Issuer:      "https://login.example.com/v2.0",
			AllowTenant: func(string) bool { return true },
			Config:      core.Config{Audience: []string{"x"}},
		}}},
		{Templates: []core.IssuerTemplate{{
			Issuer: "https://login.example.com/{tenant}/v2.0",
			Config: core.Config{Audience: []string{"x"}},
		}}},
	} {
		if _, err := core.NewMulti(t.Context(), bad); err == nil {
			t.Errorf("NewMulti accepted %+v", bad)
		}
	}
}

// tenantProvider is a multi-tenant provider on loopback in the shape of
// Microsoft Entra ID: a discovery document per tenant at
// /{tenant}/v2.0/.well-known/openid-configuration, whose issuer names the
// tenant, and one key set for all tenants.
type tenantProvider struct {
	srv      *httptest.Server
	requests atomic.Int64
}

func newTenantProvider(t *testing.T) *tenantProvider {
	p := &tenantProvider{}
	jwks := authtest.NewIssuer(authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()))
	t.Cleanup(jwks.Close)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		tenant, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/v2.0/.well-known/openid-configuration")
		if !ok || strings.Contains(tenant, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": p.issuer(tenant), "jwks_uri": jwks.JWKSURL()})
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *tenantProvider) issuer(tenant string) string { return p.srv.URL + "/" + tenant + "/v2.0" }

// mint signs an Entra-shaped token for tenant with the provider's key.
func (p *tenantProvider) mint(t *testing.T, iss, tid string) string {
	t.Helper()
	claims := jwt.MapClaims{
		"iss": iss,
		"tid": tid,
		"aud": "api://orders",
		"sub": "user-1",
		"scp": "read",
		"exp": time.Now().Add(time.Hour).Unix(),
		"iat": time.Now().Unix(),
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = testkeys.KIDRSA
	s, err := tok.SignedString(testkeys.RSA())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIssuerTemplateForAMultiTenantProvider(t *testing.T) {
	p := newTenantProvider(t)
	allowed := map[string]bool{"tenant-a": true, "tenant-b": true, "tenant-c": true}
	v := newMulti(t, core.MultiConfig{
		Templates: []core.IssuerTemplate{{
			Issuer:      p.srv.URL + "/{tenant}/v2.0",
			Config:      core.Config{Audience: []string{"api://orders"}},
			AllowTenant: func(tenant string) bool { return allowed[tenant] },
			TenantClaim: "tid",
			MaxIssuers:  2,
		}},
	})
	for _, tenant := range []string{"tenant-a", "tenant-b", "tenant-a"} {
		c, err := v.Verify(t.Context(), p.mint(t, p.issuer(tenant), tenant))
		if err != nil || c.AdmittedBy != p.issuer(tenant) {
			t.Fatalf("%s: %v", tenant, err)
		}
	}
	before := p.requests.Load()
	huge := strings.Repeat("t", 200)
	for name, tc := range map[string]struct {
		token string
		check core.Check
	}{
		"tid of another tenant":         {p.mint(t, p.issuer("tenant-a"), "tenant-b"), core.CheckTenant},
		"a tenant not allowed":          {p.mint(t, p.issuer("tenant-x"), "tenant-x"), "iss"},
		"a path in the tenant":          {p.mint(t, p.srv.URL+"/a/b/v2.0", "a/b"), "iss"},
		"dot-dot as the tenant":         {p.mint(t, p.srv.URL+"/../v2.0", ".."), "iss"},
		"an empty tenant":               {p.mint(t, p.srv.URL+"//v2.0", ""), "iss"},
		"a huge tenant":                 {p.mint(t, p.issuer(huge), huge), "iss"},
		"another host with the pattern": {p.mint(t, "http://127.0.0.2:1/tenant-a/v2.0", "tenant-a"), "iss"},
	} {
		_, err := v.Verify(t.Context(), tc.token)
		wantCheckNamed(t, name, err, tc.check)
	}
	if n := p.requests.Load() - before; n != 0 {
		t.Fatalf("refused tenants made %d requests to the provider, want 0", n)
	}
}

func TestIntrospectionWithSeveralIssuersAsksTheAdmittingOne(t *testing.T) {
	a := authtest.NewIssuer(authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()), authtest.WithAudience("orders-api"))
	b := authtest.NewIssuer(authtest.WithKey(testkeys.KIDEC, testkeys.EC()), authtest.WithAudience("orders-api"))
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	v := newMulti(t, core.MultiConfig{Issuers: []core.Config{
		{Issuer: a.URL(), Audience: []string{"orders-api"}},
		{Issuer: b.URL(), Audience: []string{"orders-api"}},
	}})
	in, err := core.NewIntrospector(v, core.IntrospectionConfig{Issuers: []core.IntrospectionClient{
		{Issuer: a.URL(), ClientID: authtest.IntrospectionClientID, ClientSecret: authtest.IntrospectionClientSecret},
		{Issuer: b.URL(), ClientID: authtest.IntrospectionClientID, ClientSecret: authtest.IntrospectionClientSecret},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	live, revoked := a.MustMint(nil), b.MustMint(nil)
	b.Revoke(revoked)
	for _, tc := range []struct {
		token string
		want  error
	}{{live, nil}, {revoked, core.ErrInvalidToken}} {
		c, err := v.Verify(t.Context(), tc.token)
		if err != nil {
			t.Fatal(err)
		}
		if err := in.CheckFresh(t.Context(), tc.token, c); !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
			t.Errorf("fresh check of a token of %s: %v, want %v", c.AdmittedBy, err, tc.want)
		}
	}
	if a.IntrospectionRequests() != 1 || b.IntrospectionRequests() != 1 {
		t.Fatalf("introspection calls: A %d, B %d; want one each", a.IntrospectionRequests(), b.IntrospectionRequests())
	}
}
