package interop_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/interop/internal/hydra"
)

// Hydra's JWT access tokens (typ JWT, the scopes as the scp list,
// client_id), from the client credentials grant and from the authorization
// code flow, pass every target on every route they may use; its ID tokens,
// signed with a key of their own, and its tokens for another API are
// refused as invalid_token.
func TestHydraAccessTokens(t *testing.T) {
	t.Parallel()
	s := startHydra(t)
	targets := hydraTargets(t, s, true)
	o := newOAuthClient(t, s.Issuer)

	admin := o.hydraClientCredentials(t, hydraWorker, apiAudience, "admin")
	shape := checkHydraAccessToken(t, o, s, admin.AccessToken, hydraWorker.ID, []string{apiAudience}, []string{"admin"})
	t.Logf("client credentials access token: %v", shape)
	plain := o.hydraClientCredentials(t, hydraWorker, apiAudience)
	checkHydraAccessToken(t, o, s, plain.AccessToken, hydraWorker.ID, []string{apiAudience}, []string{})
	billing := o.hydraClientCredentials(t, hydraBilling, "billing-api", "admin")
	checkHydraAccessToken(t, o, s, billing.AccessToken, hydraBilling.ID, []string{"billing-api"}, []string{"admin"})

	user := o.hydraCode(t, hydraWeb, "alice", "openid", "email")
	userShape := checkHydraAccessToken(
		t,
		o,
		s,
		user.AccessToken,
		"alice",
		[]string{apiAudience},
		[]string{"openid", "email"},
	)
	t.Logf("authorization code access token: %v", userShape)
	idShape := shapeOf(t, user.IDToken)
	t.Logf("ID token: %v", idShape)
	if idShape.kid() == userShape.kid() || !slices.Contains(o.publishedKeyIDs(t), idShape.kid()) {
		t.Fatalf(
			"the ID token's kid is the access token's, or unpublished: want a published key of its own (set %s)",
			hydra.IDTokenKeys,
		)
	}
	if !slices.Equal(idShape.audience(), []string{hydraWeb.ID}) || idShape.Claims["at_hash"] == nil {
		t.Fatalf("ID token %v: want aud [%s] and at_hash", idShape, hydraWeb.ID)
	}

	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			expectAccepted(t, tg, meRoute, admin.AccessToken, hydraWorker.ID)
			expectAccepted(t, tg, adminRoute, admin.AccessToken, hydraWorker.ID)
			expectAccepted(t, tg, transferRoute, admin.AccessToken, hydraWorker.ID)
			expectAccepted(t, tg, meRoute, plain.AccessToken, hydraWorker.ID)
			expectRefused(t, tg, adminRoute, plain.AccessToken, http.StatusForbidden, "insufficient_scope")
			expectAccepted(t, tg, meRoute, user.AccessToken, "alice")
			expectAccepted(t, tg, transferRoute, user.AccessToken, "alice")
			for _, r := range []route{meRoute, adminRoute, transferRoute} {
				expectRefused(t, tg, r, billing.AccessToken, http.StatusUnauthorized, "invalid_token")
			}
			// Its ID token is for the client (aud orders-web), not the API.
			expectRefused(t, tg, meRoute, user.IDToken, http.StatusUnauthorized, "invalid_token")
		})
	}
}

// A token revoked at Hydra (RFC 7009, its public listener) is refused by
// every target's fresh route, whose Introspector asks Hydra's admin-port
// introspection endpoint (IDENTSPHERE_INTROSPECTION_URL: Hydra's discovery
// names none), within the Introspector's cache TTL; the local route keeps
// accepting it until it expires, the documented revocation lag.
func TestHydraIntrospection(t *testing.T) {
	t.Parallel()
	s := startHydra(t)
	targets := hydraTargets(t, s, true)
	o := newOAuthClient(t, s.Issuer)

	tok := o.hydraClientCredentials(t, hydraWorker, apiAudience, "admin")
	for _, tg := range targets {
		expectAccepted(t, tg, transferRoute, tok.AccessToken, hydraWorker.ID)
	}
	if !o.introspectAt(t, introspectionURL(s), apiClient, tok.AccessToken) {
		t.Fatal("Hydra says the token is inactive before its revocation")
	}
	o.revoke(t, oauthClientOf(hydraWorker), tok.AccessToken, "access_token")
	if o.introspectAt(t, introspectionURL(s), apiClient, tok.AccessToken) {
		t.Fatal("Hydra still says the token is active after its revocation")
	}
	revokedAt := time.Now()

	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			err := eventually(t, core.DefaultIntrospectionCacheTTL+5*time.Second, func(ctx context.Context) error {
				a, err := tryCall(ctx, transferRoute.method, tg.url+transferRoute.path, tok.AccessToken)
				if err != nil {
					return err
				}
				return refused(a, http.StatusUnauthorized, "invalid_token")
			})
			if err != nil {
				t.Fatalf(
					"the fresh route still takes the revoked token %v after its revocation: %v",
					time.Since(revokedAt).Round(time.Millisecond),
					err,
				)
			}
			expectAccepted(t, tg, meRoute, tok.AccessToken, hydraWorker.ID)
		})
	}
}

// Hydra's access-token keys rotated through its admin API, with no restart
// of anything: a new key (ES256, where the first was RS256) signs the new
// tokens, which every target accepts once it has fetched the JWKS again
// (the unknown kid asks for it), while the tokens of the old key, still
// published, keep passing; once the old key is deleted and the targets
// have fetched the JWKS again (a third key's token asks for it), its tokens
// are refused and the second key's still pass. The token cache is off, so
// that every request checks the signature.
func TestHydraKeyRotation(t *testing.T) {
	t.Parallel()
	s := startHydra(t)
	targets := hydraTargets(t, s, false)
	o := newOAuthClient(t, s.Issuer)

	first := o.hydraClientCredentials(t, hydraWorker, apiAudience).AccessToken
	firstKID := checkHydraAccessToken(t, o, s, first, hydraWorker.ID, []string{apiAudience}, []string{}).kid()
	for _, tg := range targets {
		expectAccepted(t, tg, meRoute, first, hydraWorker.ID)
	}

	second := rotate(t, o, s, "ES256")
	t.Run("new key", func(t *testing.T) {
		for _, tg := range targets {
			t.Run(tg.name, func(t *testing.T) {
				expectEventuallyAccepted(t, tg, second, hydraWorker.ID)
				expectAccepted(t, tg, meRoute, first, hydraWorker.ID)
			})
		}
	})

	if err := s.DeleteKey(t.Context(), hydra.AccessTokenKeys, firstKID); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(o.publishedKeyIDs(t), firstKID) {
		t.Fatal("Hydra still publishes the deleted key")
	}
	third := rotate(t, o, s, "RS256")
	t.Run("old key deleted", func(t *testing.T) {
		for _, tg := range targets {
			t.Run(tg.name, func(t *testing.T) {
				expectEventuallyAccepted(t, tg, third, hydraWorker.ID)
				expectRefused(t, tg, meRoute, first, http.StatusUnauthorized, "invalid_token")
				expectAccepted(t, tg, meRoute, second, hydraWorker.ID)
			})
		}
	})
}

// rotate adds a key with algorithm alg to Hydra's access-token keys and
// returns a new token, which must be signed with it.
func rotate(t *testing.T, o *oauthClient, s *hydra.Server, alg string) string {
	t.Helper()
	kid, err := s.AddKey(t.Context(), hydra.AccessTokenKeys, alg)
	if err != nil {
		t.Fatal(err)
	}
	tok := o.hydraClientCredentials(t, hydraWorker, apiAudience).AccessToken
	sh := checkHydraAccessToken(t, o, s, tok, hydraWorker.ID, []string{apiAudience}, []string{})
	if sh.kid() != kid || sh.Header["alg"] != alg {
		t.Fatalf(
			"after the rotation Hydra signs with %v %v, want the new key %s %s",
			sh.Header["alg"],
			sh.kid(),
			alg,
			kid,
		)
	}
	return tok
}

// expectEventuallyAccepted requires the token to be accepted on /api/me
// within the bound on picking up a new key: refreshes for unknown kids
// are rate-limited (one per 5 s, the default).
func expectEventuallyAccepted(t *testing.T, tg *target, token, wantSub string) {
	t.Helper()
	start := time.Now()
	err := eventually(t, core.DefaultUnknownKIDRefreshInterval+10*time.Second, func(ctx context.Context) error {
		a, err := tryCall(ctx, meRoute.method, tg.url+meRoute.path, token)
		if err != nil {
			return err
		}
		return accepted(a, wantSub)
	})
	if err != nil {
		t.Fatalf(
			"a token under the new key is still refused %v after the rotation: %v",
			time.Since(start).Round(time.Millisecond),
			err,
		)
	}
}
