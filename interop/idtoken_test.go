package interop_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/interop/internal/provider"
)

// zitadel/oidc's ID tokens, for a front end whose API gateway takes them,
// through every target set to take ID tokens, and through every target
// left to take access tokens: see checkIDTokens.
func TestZitadelIDTokens(t *testing.T) {
	t.Parallel()
	p := startProvider(t, nil)
	o := newOAuthClient(t, p.Issuer)
	verified := o.authorizationCodeAs(t, spa, provider.Username(p.Issuer), "openid", "email")
	unverified := o.authorizationCodeAs(t, spa, provider.UnverifiedUsername, "openid", "email")
	checkIDTokens(t, idTokens{
		issuer:        p.Issuer,
		client:        spa.ID,
		verified:      verified,
		verifiedSub:   provider.Subject,
		unverified:    unverified,
		unverifiedSub: provider.UnverifiedSubject,
	})
}

// zitadel's ID tokens name the project (here the API, orders-api) in aud
// beside the application's client id, and the application in azp: an API of
// the project that takes them as an ID-token gateway sets its audience to
// the project and trusts the application (core.Config.AuthorizedParties,
// IDENTSPHERE_AUTHORIZED_PARTIES); without it, azp refuses them.
func TestZitadelIDTokensForTheProject(t *testing.T) {
	t.Parallel()
	p := startProvider(t, nil)
	o := newOAuthClient(t, p.Issuer)
	tok := o.authorizationCodeAs(t, spa, provider.Username(p.Issuer), "openid", "email")
	if s := shapeOf(t, tok.IDToken); !slices.Equal(s.audience(), []string{spa.ID, apiAudience}) ||
		s.Claims["azp"] != spa.ID {
		t.Fatalf("ID token %v: want aud [%s %s] and azp %s", s, spa.ID, apiAudience, spa.ID)
	}
	t.Run("trusted", func(t *testing.T) {
		targets := startTargets(
			t,
			targetConfig{
				issuer:            p.Issuer,
				tokenCache:        true,
				profile:           core.IDTokens,
				authorizedParties: []string{spa.ID},
			},
		)
		for _, tg := range targets {
			expectAccepted(t, tg, verifiedRoute, tok.IDToken, provider.Subject)
		}
	})
	t.Run("not trusted", func(t *testing.T) {
		targets := startTargets(t, targetConfig{issuer: p.Issuer, tokenCache: true, profile: core.IDTokens})
		for _, tg := range targets {
			a := call(t, meRoute.method, tg.url+meRoute.path, tok.IDToken)
			if err := refusedAs(a, "(azp)"); err != nil {
				t.Errorf("%s %s %s: %v", tg.name, meRoute.method, meRoute.path, err)
			}
		}
	})
}

// Hydra's ID tokens, signed with a key of their own, as
// TestZitadelIDTokens.
func TestHydraIDTokens(t *testing.T) {
	t.Parallel()
	s := startHydra(t)
	o := newOAuthClient(t, s.Issuer)
	checkIDTokens(t, idTokens{
		issuer:        s.Issuer,
		client:        hydraWeb.ID,
		introspection: introspectionURL(s),
		verified:      o.hydraCode(t, hydraWeb, "alice", "openid", "email"),
		verifiedSub:   "alice",
		unverified:    o.hydraCode(t, hydraWeb, "bob", "openid", "email"),
		unverifiedSub: "bob",
	})
}

// idTokens are a provider's answers to the authorization code flow of one
// front end, for a user whose e-mail address is verified and one whose is
// not.
type idTokens struct {
	issuer, client, introspection string
	verified, unverified          tokens
	verifiedSub, unverifiedSub    string
}

// checkIDTokens requires the ID tokens' shape (for the client, at_hash,
// email, email_verified true only for the verified user), then runs them
// through the five targets twice, all with the client id as audience:
//   - set to take ID tokens (core.IDTokens, IDENTSPHERE_TOKEN_PROFILE=id),
//     the gateway: both users' ID tokens pass on /api/me, and the
//     /api/verified route (RequireVerifiedEmail) answers as the token's
//     email_verified says: 200, or 403 forbidden; the access token of the
//     same flow is 401 invalid_token.
//   - left to take access tokens (the default): the ID tokens are 401
//     invalid_token, with a description that names the token's kind.
func checkIDTokens(t *testing.T, c idTokens) {
	t.Helper()
	checkIDToken(t, c, c.verified.IDToken, c.verifiedSub, true)
	checkIDToken(t, c, c.unverified.IDToken, c.unverifiedSub, false)

	t.Run("gateway", func(t *testing.T) {
		targets := startTargets(
			t,
			targetConfig{
				issuer:           c.issuer,
				tokenCache:       true,
				introspectionURL: c.introspection,
				audience:         c.client,
				profile:          core.IDTokens,
			},
		)
		for _, tg := range targets {
			t.Run(tg.name, func(t *testing.T) {
				expectAccepted(t, tg, meRoute, c.verified.IDToken, c.verifiedSub)
				expectAccepted(t, tg, verifiedRoute, c.verified.IDToken, c.verifiedSub)
				expectAccepted(t, tg, meRoute, c.unverified.IDToken, c.unverifiedSub)
				expectRefused(t, tg, verifiedRoute, c.unverified.IDToken, http.StatusForbidden, "forbidden")
				expectRefused(t, tg, meRoute, c.verified.AccessToken, http.StatusUnauthorized, "invalid_token")
			})
		}
	})
	t.Run("access tokens only", func(t *testing.T) {
		targets := startTargets(
			t,
			targetConfig{issuer: c.issuer, tokenCache: true, introspectionURL: c.introspection, audience: c.client},
		)
		for _, tg := range targets {
			t.Run(tg.name, func(t *testing.T) {
				for _, tok := range []string{c.verified.IDToken, c.unverified.IDToken} {
					a := call(t, meRoute.method, tg.url+meRoute.path, tok)
					if err := refusedAs(a, "ID token"); err != nil {
						t.Errorf("%s %s: %v", meRoute.method, meRoute.path, err)
					}
				}
			})
		}
	})
}

// checkIDToken requires an ID token's shape: the provider's issuer, the
// subject, the client in aud, at_hash (an access token came with it),
// email, and email_verified true exactly when verified.
func checkIDToken(t *testing.T, c idTokens, token, wantSub string, verified bool) {
	t.Helper()
	s := shapeOf(t, token)
	t.Logf("ID token: %v", s)
	ok := s.Claims["iss"] == c.issuer && s.Claims["sub"] == wantSub &&
		slices.Contains(s.audience(), c.client) && s.Claims["at_hash"] != nil &&
		s.Claims["email"] != nil && (s.Claims["email_verified"] == true) == verified
	if !ok {
		t.Fatalf(
			"ID token %v: want iss %s, sub %s, %s in aud, at_hash, email, and email_verified true: %v",
			s,
			c.issuer,
			wantSub,
			c.client,
			verified,
		)
	}
}

// refusedAs requires 401 invalid_token whose description names kind (or
// the check that refused).
func refusedAs(a answer, kind string) error {
	if err := refused(a, http.StatusUnauthorized, "invalid_token"); err != nil {
		return err
	}
	var body struct {
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(a.body, &body); err != nil || !strings.Contains(body.Description, kind) {
		return fmt.Errorf("body %s: want an error_description that names the %s", a.body, kind)
	}
	return nil
}
