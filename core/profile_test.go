package core_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// verifyAll checks each token against v: an empty check means accepted.
func verifyAll(t *testing.T, v *core.Validator, cases map[string]struct {
	token string
	check core.Check
}) {
	t.Helper()
	for name, tc := range cases {
		_, err := v.Verify(t.Context(), tc.token)
		if tc.check == "" {
			if err != nil {
				t.Errorf("%s: refused: %v", name, err)
			}
			continue
		}
		wantCheckNamed(t, name, err, tc.check)
	}
}

func wantCheckNamed(t *testing.T, name string, err error, check core.Check) {
	t.Helper()
	var te *core.TokenError
	if !asTokenError(err, &te) || te.Check != check {
		t.Errorf("%s: %v, want a refusal by check %q", name, err, check)
	}
}

type tc = struct {
	token string
	check core.Check
}

func TestRFC9068ProfileRefusesIDTokens(t *testing.T) {
	iss := newIssuer(t)
	cfg := config(iss)
	cfg.Profile = core.RFC9068AccessTokens
	v := authcases.NewValidator(t, cfg)
	at := authtest.WithHeader("typ", "at+jwt")
	verifyAll(t, v, map[string]tc{
		"RFC 9068 access token": {iss.MustMint(authtest.Claims{"client_id": "app"}, at), ""},
		"application/at+jwt": {
			iss.MustMint(authtest.Claims{"client_id": "app"}, authtest.WithHeader("typ", "application/at+jwt")),
			"",
		},
		"ID token (typ JWT)": {iss.MustMint(authtest.Claims{"client_id": "app"}), "typ"},
		"no typ": {
			iss.MustMint(authtest.Claims{"client_id": "app"}, authtest.WithHeader("typ", nil)),
			"typ",
		},
		"no client_id":                {iss.MustMint(nil, at), "client_id"},
		"client_id of the wrong type": {iss.MustMint(authtest.Claims{"client_id": 7}, at), "client_id"},
		"no jti":                      {iss.MustMint(authtest.Claims{"client_id": "app", "jti": nil}, at), "jti"},
		"no iat":                      {iss.MustMint(authtest.Claims{"client_id": "app", "iat": nil}, at), "iat"},
		"a logout token is never taken": {
			iss.MustMint(authtest.Claims{"client_id": "app"}, authtest.WithHeader("typ", "logout+jwt")),
			"typ",
		},
	})
}

func TestIDTokenProfile(t *testing.T) {
	iss := newIssuer(t)
	cfg := config(iss)
	cfg.Profile = core.IDTokens
	cfg.Audience = []string{"web-client"}
	v := authcases.NewValidator(t, cfg)
	verifyAll(t, v, map[string]tc{
		"ID token":          {iss.MustMint(authtest.Claims{"aud": "web-client"}), ""},
		"ID token with azp": {iss.MustMint(authtest.Claims{"aud": "web-client", "azp": "web-client"}), ""},
		"several audiences with our azp": {
			iss.MustMint(authtest.Claims{"aud": []string{"web-client", "other"}, "azp": "web-client"}),
			"",
		},
		"several audiences without azp": {iss.MustMint(authtest.Claims{"aud": []string{"web-client", "other"}}), "azp"},
		"issued to another client (azp)": {
			iss.MustMint(authtest.Claims{"aud": []string{"web-client", "other"}, "azp": "other"}),
			"azp",
		},
		"for another client": {iss.MustMint(authtest.Claims{"aud": "other"}), "aud"},
		"an access token (at+jwt) is not ok": {
			iss.MustMint(authtest.Claims{"aud": "web-client"}, authtest.WithHeader("typ", "at+jwt")),
			"typ",
		},
	})
	for _, bad := range []core.Config{
		{Issuer: iss.URL(), Profile: core.IDTokens, Audience: []string{"a", "b"}},
		{Issuer: iss.URL(), Profile: core.IDTokens, SkipAudienceCheck: true},
		{Issuer: iss.URL(), Profile: core.TokenProfile(9), Audience: []string{"a"}},
	} {
		if _, err := core.New(t.Context(), bad); err == nil {
			t.Errorf("New accepted profile %v with audience %q", bad.Profile, bad.Audience)
		}
	}
}

func TestGraphTokenWithANonceHeaderIsRefused(t *testing.T) {
	iss := newIssuer(t)
	v := authcases.NewValidator(t, config(iss))
	_, err := v.Verify(t.Context(), iss.MustMint(nil, authtest.WithHeader("nonce", "AQAB-graph")))
	wantCheck(t, err, "header")
	if err == nil || !containsAll(err.Error(), "nonce", "Graph") {
		t.Fatalf("the refusal does not say why: %v", err)
	}
}

func TestIssuerAliases(t *testing.T) {
	iss := newIssuer(t)
	cfg := config(iss)
	cfg.IssuerAliases = []string{"accounts.example.com"}
	v := authcases.NewValidator(t, cfg)
	verifyAll(t, v, map[string]tc{
		"the issuer":       {iss.MustMint(nil), ""},
		"its alias":        {iss.MustMint(authtest.Claims{"iss": "accounts.example.com"}), ""},
		"another issuer":   {iss.MustMint(authtest.Claims{"iss": "accounts.example.org"}), "iss"},
		"alias with slash": {iss.MustMint(authtest.Claims{"iss": "accounts.example.com/"}), "iss"},
	})
}

func TestAudienceFallbackAndRequiredClaims(t *testing.T) {
	iss := newIssuer(t)
	cfg := config(iss)
	cfg.Audience = []string{"app-client"}
	cfg.AudienceFallback = "client_id"
	cfg.RequiredClaims = map[string]string{"token_use": "access"}
	v := authcases.NewValidator(t, cfg)
	verifyAll(t, v, map[string]tc{
		"Cognito access token": {
			iss.MustMint(authtest.Claims{"aud": nil, "client_id": "app-client", "token_use": "access"}),
			"",
		},
		"another app's access token": {
			iss.MustMint(authtest.Claims{"aud": nil, "client_id": "other", "token_use": "access"}),
			"aud",
		},
		"ID token (aud, token_use id)": {
			iss.MustMint(authtest.Claims{"aud": "app-client", "token_use": "id"}),
			core.CheckRequiredClaim,
		},
		"no token_use": {
			iss.MustMint(authtest.Claims{"aud": nil, "client_id": "app-client"}),
			core.CheckRequiredClaim,
		},
		"token_use not a string": {
			iss.MustMint(authtest.Claims{"aud": nil, "client_id": "app-client", "token_use": true}),
			core.CheckRequiredClaim,
		},
		"neither aud nor client_id": {iss.MustMint(authtest.Claims{"aud": nil, "token_use": "access"}), "aud"},
		"aud present: no fallback to client": {
			iss.MustMint(authtest.Claims{"aud": "other", "client_id": "app-client", "token_use": "access"}),
			"aud",
		},
	})
}

func TestClaimValuesAndRequireClaim(t *testing.T) {
	iss := newIssuer(t)
	v := authcases.NewValidator(t, config(iss))
	c, err := v.Verify(t.Context(), iss.MustMint(authtest.Claims{
		"roles":                             []string{"reader", "writer"},
		"realm_access":                      map[string]any{"roles": []string{"admin"}},
		"resource_access":                   map[string]any{"orders-api": map[string]any{"roles": []string{"approve"}}},
		"urn:zitadel:iam:org:project:roles": map[string]any{"auditor": map[string]string{"org-1": "example.com"}},
		"https://example.com/tier":          "gold",
		"mixed":                             []any{"x", 1, "y"},
		"n":                                 3,
	}))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][]string{
		"roles":                             {"reader", "writer"},
		"realm_access/roles":                {"admin"},
		"resource_access/orders-api/roles":  {"approve"},
		"urn:zitadel:iam:org:project:roles": {"auditor"},
		"https:~~example.com~tier":          {"gold"},
	} {
		got, ok := c.Values(splitPath(path))
		if !ok || !equalStrings(got, want) {
			t.Errorf("Values(%s) = %q, %v; want %q", path, got, ok, want)
		}
	}
	for _, path := range []string{"missing", "n", "mixed", "realm_access/missing", "roles/0"} {
		if got, ok := c.Values(splitPath(path)); ok {
			t.Errorf("Values(%s) = %q, want nothing", path, got)
		}
	}
	ctx := t.Context()
	if err := core.RequireClaim(core.ClaimPath{"realm_access", "roles"}, "admin")(ctx, c); err != nil {
		t.Errorf("Keycloak realm role: %v", err)
	}
	if err := core.RequireClaim(core.ClaimPath{"roles"}, "reader", "writer")(ctx, c); err != nil {
		t.Errorf("two roles: %v", err)
	}
	err = core.RequireClaim(core.ClaimPath{"roles"}, "reader", "admin")(ctx, c)
	if r := core.NewErrorResponse(err, "x"); r.Status != 403 || r.Code != "forbidden" {
		t.Errorf("a missing role answered %d %q, want 403 forbidden", r.Status, r.Code)
	}
	for _, build := range []func(){
		func() { core.RequireClaim(nil, "x") },
		func() { core.RequireClaim(core.ClaimPath{"roles"}) },
		func() { core.RequireClaim(core.ClaimPath{""}, "x") },
	} {
		if !panics(build) {
			t.Error("a RequireClaim nobody can pass was built without a panic")
		}
	}

	// A nested object with a duplicate member leads nowhere.
	dup, err := v.Verify(ctx, signedClaims(t, iss, `"realm_access":{"roles":["user"],"roles":["admin"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := dup.Values(core.ClaimPath{"realm_access", "roles"}); ok {
		t.Fatalf("duplicated nested roles read as %q", got)
	}
}

func asTokenError(err error, te **core.TokenError) bool { return errors.As(err, te) }

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// splitPath splits a test path on "/", with "~" standing for a "/" inside a
// name.
func splitPath(p string) core.ClaimPath {
	parts := strings.Split(p, "/")
	for i := range parts {
		parts[i] = strings.ReplaceAll(parts[i], "~", "/")
	}
	return parts
}

func equalStrings(a, b []string) bool { return slices.Equal(a, b) }

func panics(f func()) (did bool) {
	defer func() { did = recover() != nil }()
	f()
	return false
}

// signedClaims signs raw claims JSON (valid iss, aud, sub and exp, then
// extra members) with the issuer's RSA key, for shapes Mint cannot make.
func signedClaims(t *testing.T, iss *authtest.Issuer, extra string) string {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	header := `{"alg":"RS256","typ":"JWT","kid":"` + testkeys.KIDRSA + `"}`
	payload := fmt.Sprintf(
		`{"iss":%q,"aud":%q,"sub":"user-1","exp":%d,%s}`,
		iss.URL(),
		authcases.Audience,
		time.Now().Add(time.Hour).Unix(),
		extra,
	)
	input := enc([]byte(header)) + "." + enc([]byte(payload))
	sig, err := jwt.SigningMethodRS256.Sign(input, testkeys.RSA())
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + enc(sig)
}

// Some providers (zitadel/oidc, seen in interop) give their ID tokens the
// API's audience: under the default profile, the claims only ID tokens
// carry give them away.
func TestDefaultProfileRefusesIDTokensByTheirClaims(t *testing.T) {
	iss := newIssuer(t)
	v := authcases.NewValidator(t, config(iss))
	verifyAll(t, v, map[string]tc{
		"access token": {iss.MustMint(authtest.Claims{"client_id": "cli"}), ""},
		"ID token with at_hash": {
			iss.MustMint(authtest.Claims{"azp": "cli", "at_hash": "x0YhV9D2c1d7Ph0k", "auth_time": 1}),
			"typ",
		},
		"ID token with c_hash":    {iss.MustMint(authtest.Claims{"azp": "cli", "c_hash": "y9Hq2bZ8"}), "typ"},
		"access token, auth_time": {iss.MustMint(authtest.Claims{"auth_time": 1}), ""},
	})
	cfg := config(iss)
	cfg.Profile, cfg.Audience = core.IDTokens, []string{authcases.Audience}
	idv := authcases.NewValidator(t, cfg)
	verifyAll(
		t,
		idv,
		map[string]tc{"ID token under IDTokens": {iss.MustMint(authtest.Claims{"at_hash": "x0YhV9D2c1d7Ph0k"}), ""}},
	)
}

// A logout token needs no typ and may carry the client id as aud and an
// exp: without a typ to give it away, only its events claim does. No
// profile takes it, nor any other Security Event Token.
func TestSecurityEventTokensAreNeverAccessOrIDTokens(t *testing.T) {
	iss := newIssuer(t)
	logout := func(opts ...authtest.MintOption) string {
		return iss.MustMint(authtest.Claims{
			"jti":       "logout-1",
			"sid":       "session-1",
			"client_id": "app",
			"events":    map[string]any{core.BackChannelLogoutEvent: map[string]any{}},
		}, opts...)
	}
	noTyp, typJWT := authtest.WithHeader("typ", nil), authtest.WithHeader("typ", "JWT")
	profiles := map[core.TokenProfile]map[string]tc{
		core.AccessTokens: {
			"logout token, no typ":  {logout(noTyp), "typ"},
			"logout token, typ JWT": {logout(typJWT), "typ"},
			"access token":          {iss.MustMint(nil), ""},
		},
		core.IDTokens: {
			"logout token, no typ":  {logout(noTyp), "typ"},
			"logout token, typ JWT": {logout(typJWT), "typ"},
			"ID token":              {iss.MustMint(authtest.Claims{"at_hash": "x0YhV9D2c1d7Ph0k"}), ""},
		},
		core.RFC9068AccessTokens: {
			"security event typed at+jwt": {logout(authtest.WithHeader("typ", "at+jwt")), "typ"},
			"RFC 9068 access token": {
				iss.MustMint(authtest.Claims{"client_id": "app"}, authtest.WithHeader("typ", "at+jwt")),
				"",
			},
		},
	}
	for profile, cases := range profiles {
		cfg := config(iss)
		cfg.Profile = profile
		verifyAll(t, authcases.NewValidator(t, cfg), cases)
	}
}
