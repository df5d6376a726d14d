package interop_test

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/interop/internal/hydra"
	"github.com/identsphere/identsphere-go/interop/internal/provider"
)

// Hydra's clients, registered through its admin API.
var (
	// hydraWorker is a service calling the orders API with its own token.
	hydraWorker = hydra.Client{
		ID:                      "orders-worker",
		Secret:                  "orders-worker-secret",
		Audience:                []string{apiAudience},
		GrantTypes:              []string{"client_credentials"},
		Scope:                   "admin",
		TokenEndpointAuthMethod: "client_secret_basic",
	}
	// hydraBilling gets tokens from the same Hydra, with the same keys, for
	// another API.
	hydraBilling = hydra.Client{
		ID:                      "billing-worker",
		Secret:                  "billing-worker-secret",
		Audience:                []string{"billing-api"},
		GrantTypes:              []string{"client_credentials"},
		Scope:                   "admin",
		TokenEndpointAuthMethod: "client_secret_basic",
	}
	// hydraWeb is a public client (PKCE) whose users call the orders API:
	// its ID tokens are for it (aud orders-web), its access tokens for the
	// API.
	hydraWeb = hydra.Client{
		ID:                      "orders-web",
		Audience:                []string{apiAudience},
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		RedirectURIs:            []string{"http://127.0.0.1" + callbackPath},
		Scope:                   "openid offline_access email",
		TokenEndpointAuthMethod: "none",
	}
	hydraClients = []hydra.Client{hydraWorker, hydraBilling, hydraWeb}

	// hydraUsers log in through the login app, by login_hint.
	hydraUsers = map[string]hydra.User{
		"alice": {
			Subject:       "alice",
			IDTokenClaims: map[string]any{"email": "alice@example.com", "email_verified": true},
		},
		"bob": {Subject: "bob", IDTokenClaims: map[string]any{"email": "bob@example.com", "email_verified": false}},
	}
)

// startHydra runs Hydra with its clients registered, until the test ends.
func startHydra(t *testing.T) *hydra.Server {
	t.Helper()
	s := hydra.Start(t, hydraBin, hydraUsers)
	for _, c := range hydraClients {
		if err := s.CreateClient(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// hydraTargets starts the five targets against s, with its admin-port
// introspection endpoint.
func hydraTargets(t *testing.T, s *hydra.Server, tokenCache bool) []*target {
	t.Helper()
	return startTargets(
		t,
		targetConfig{issuer: s.Issuer, tokenCache: tokenCache, introspectionURL: introspectionURL(s)},
	)
}

func introspectionURL(s *hydra.Server) string { return s.Admin + "/admin/oauth2/introspect" }

// oauthClientOf is a Hydra client as the flows of oauth_test.go take it.
func oauthClientOf(c hydra.Client) provider.Client {
	return provider.Client{ID: c.ID, Secret: c.Secret}
}

// hydraClientCredentials is the client credentials grant for audience:
// Hydra puts in aud only what the request asks for.
func (o *oauthClient) hydraClientCredentials(t *testing.T, c hydra.Client, audience string, scopes ...string) tokens {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "audience": {audience}}
	if len(scopes) > 0 {
		form.Set("scope", strings.Join(scopes, " "))
	}
	return o.token(t, oauthClientOf(c), form)
}

// hydraCode runs the authorization code flow with PKCE (S256) for the user
// named by loginHint: Hydra sends the browser to the login app and the
// consent app, which accept through the admin API, then to the client with
// the code, which is exchanged. The access token is asked for the orders
// API (the audience parameter).
func (o *oauthClient) hydraCode(t *testing.T, c hydra.Client, loginHint string, scopes ...string) tokens {
	t.Helper()
	verifier := randomString(t)
	sum := sha256.Sum256([]byte(verifier))
	state := randomString(t)
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.ID},
		"redirect_uri":          {c.RedirectURIs[0]},
		"scope":                 {strings.Join(scopes, " ")},
		"audience":              {apiAudience},
		"state":                 {state},
		"nonce":                 {randomString(t)},
		"login_hint":            {loginHint},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	resp, err := o.http.Get(o.meta.AuthorizationEndpoint + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther || err != nil ||
		loc.Path != callbackPath {
		t.Fatalf("authorization request: %d to %v, want a redirect to the client", resp.StatusCode, loc)
	}
	if e := loc.Query().Get("error"); e != "" || loc.Query().Get("code") == "" || loc.Query().Get("state") != state {
		t.Fatalf(
			"the redirect to the client has error %q (%s), a code: %v, its state: %v",
			e,
			loc.Query().Get("error_description"),
			loc.Query().Get("code") != "",
			loc.Query().Get("state") == state,
		)
	}
	return o.token(t, oauthClientOf(c), url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {loc.Query().Get("code")},
		"redirect_uri":  {c.RedirectURIs[0]},
		"code_verifier": {verifier},
	})
}

// checkHydraAccessToken requires the shape of Hydra's JWT access tokens:
// RS256 or ES256 under a kid its JWKS publishes, typ JWT, its issuer, the
// subject and audience expected, client_id, jti, exp, and the granted
// scopes as the scp list.
func checkHydraAccessToken(
	t *testing.T,
	o *oauthClient,
	s *hydra.Server,
	token, wantSub string,
	wantAud, wantScp []string,
) jwtShape {
	t.Helper()
	sh := shapeOf(t, token)
	var errs []string
	check := func(ok bool, what string) {
		if !ok {
			errs = append(errs, what)
		}
	}
	check(sh.Header["alg"] == "RS256" || sh.Header["alg"] == "ES256", "alg RS256 or ES256")
	check(sh.Header["typ"] == "JWT", "typ JWT")
	check(sh.kid() != "" && slices.Contains(o.publishedKeyIDs(t), sh.kid()), "a kid the JWKS publishes")
	check(sh.Claims["iss"] == s.Issuer, "iss "+s.Issuer)
	check(sh.Claims["sub"] == wantSub, "sub "+wantSub)
	check(slices.Equal(sh.audience(), wantAud), fmt.Sprintf("aud %q", wantAud))
	check(sh.Claims["client_id"] != nil && sh.Claims["jti"] != nil && sh.Claims["exp"] != nil, "client_id, jti and exp")
	check(fmt.Sprint(sh.Claims["scp"]) == fmt.Sprint(stringsToAny(wantScp)), fmt.Sprintf("scp %q", wantScp))
	check(sh.Claims["at_hash"] == nil, "no at_hash")
	if len(errs) > 0 {
		t.Fatalf("access token %v; want %s", sh, strings.Join(errs, ", "))
	}
	return sh
}

func stringsToAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
