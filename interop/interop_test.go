package interop_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/interop/internal/provider"
)

// The client credentials grant gives a service a JWT access token for our
// audience; every target accepts it on every route it may use, and the
// scope route tells a token with scope admin from one without.
func TestClientCredentials(t *testing.T) {
	t.Parallel()
	p := startProvider(t, nil)
	targets := startTargets(t, targetConfig{issuer: p.Issuer, tokenCache: true})
	o := newOAuthClient(t, p.Issuer)

	admin := o.clientCredentials(t, worker, "admin")
	shape := checkAccessToken(t, p, admin.AccessToken, worker.ID, []string{apiAudience}, "admin")
	t.Logf("client credentials access token: %v", shape)
	if kids := o.publishedKeyIDs(t); !slices.Contains(kids, shape.kid()) {
		t.Fatalf("the token's kid is not in the provider's JWKS (%d keys)", len(kids))
	}
	plain := o.clientCredentials(t, worker)
	checkAccessToken(t, p, plain.AccessToken, worker.ID, []string{apiAudience}, "")

	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			expectAccepted(t, tg, meRoute, admin.AccessToken, worker.ID)
			expectAccepted(t, tg, adminRoute, admin.AccessToken, worker.ID)
			expectAccepted(t, tg, transferRoute, admin.AccessToken, worker.ID)
			expectAccepted(t, tg, meRoute, plain.AccessToken, worker.ID)
			expectRefused(t, tg, adminRoute, plain.AccessToken, http.StatusForbidden, "insufficient_scope")
			expectRefused(t, tg, meRoute, "", http.StatusUnauthorized, "")
		})
	}
}

// The authorization code flow with PKCE, through the provider's own login
// form, gives the user's access token and a refresh token; the refresh
// gives a new access token. Both pass every target, the fresh route
// included (the provider's introspection says active).
func TestAuthorizationCodeAndRefresh(t *testing.T) {
	t.Parallel()
	p := startProvider(t, nil)
	targets := startTargets(t, targetConfig{issuer: p.Issuer, tokenCache: true})
	o := newOAuthClient(t, p.Issuer)

	t.Run("wrong password", func(t *testing.T) {
		page := o.authorize(t, cli, cli.RedirectURIs[0], []byte("0123456789abcdef0123456789abcdef"), []string{"openid"})
		resp := o.submit(t, page.form, page.username(t), "not-"+provider.Password)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "username or password wrong") {
			t.Fatalf("a wrong password got %d %s, want the login form again with its error", resp.StatusCode, body)
		}
		if again := parseForm(t, resp.Request.URL, body); !again.has("password") {
			t.Fatal("no login form after a wrong password")
		}
	})

	first := o.authorizationCode(t, cli, "openid", "offline_access")
	if first.RefreshToken == "" || first.IDToken == "" {
		t.Fatal("the code exchange gave no refresh token or no ID token")
	}
	shape := checkAccessToken(
		t,
		p,
		first.AccessToken,
		provider.Subject,
		[]string{cli.ID, apiAudience},
		"openid offline_access",
	)
	t.Logf("authorization code access token: %v", shape)

	next := o.refresh(t, cli, first.RefreshToken)
	if next.RefreshToken == "" || next.RefreshToken == first.RefreshToken {
		t.Fatal("the refresh did not rotate the refresh token")
	}
	nextShape := checkAccessToken(
		t,
		p,
		next.AccessToken,
		provider.Subject,
		[]string{cli.ID, apiAudience},
		"openid offline_access",
	)
	if nextShape.Claims["jti"] == shape.Claims["jti"] {
		t.Fatal("the refresh gave the same access token back")
	}
	// The provider rotates refresh tokens: the old one is spent.
	if status, _ := o.post(
		t,
		o.meta.TokenEndpoint,
		cli,
		url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}},
	); status != http.StatusBadRequest {
		t.Fatalf("a spent refresh token got %d, want 400", status)
	}

	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			expectAccepted(t, tg, meRoute, first.AccessToken, provider.Subject)
			expectAccepted(t, tg, meRoute, next.AccessToken, provider.Subject)
			expectAccepted(t, tg, transferRoute, next.AccessToken, provider.Subject)
			expectRefused(t, tg, adminRoute, next.AccessToken, http.StatusForbidden, "insufficient_scope")
			// The provider gives its ID token the API's audience too; its
			// at_hash marks it as an ID token, refused as an access token.
			expectRefused(t, tg, meRoute, first.IDToken, http.StatusUnauthorized, "invalid_token")
		})
	}
}

// A token revoked at the provider (RFC 7009) is refused at once by the
// fresh route, whose Introspector asks the provider's introspection
// endpoint (RFC 7662, client_secret_basic, the endpoint found by
// discovery), once its last "active" answer is older than the cache TTL;
// the local route keeps accepting it until it expires, the documented
// revocation lag.
func TestRevocationAndIntrospection(t *testing.T) {
	t.Parallel()
	p := startProvider(t, nil)
	targets := startTargets(t, targetConfig{issuer: p.Issuer, tokenCache: true})
	o := newOAuthClient(t, p.Issuer)

	tok := o.authorizationCode(t, cli, "openid")
	checkAccessToken(t, p, tok.AccessToken, provider.Subject, []string{cli.ID, apiAudience}, "openid")
	for _, tg := range targets {
		expectAccepted(t, tg, transferRoute, tok.AccessToken, provider.Subject)
	}
	if !o.introspect(t, apiClient, tok.AccessToken) {
		t.Fatal("the provider says the token is inactive before its revocation")
	}

	o.revoke(t, cli, tok.AccessToken, "access_token")
	if o.introspect(t, apiClient, tok.AccessToken) {
		t.Fatal("the provider still says the token is active after its revocation")
	}
	revokedAt := time.Now()

	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			// The Introspector reuses an "active" answer for at most its
			// cache TTL (5 s in the starters too), so the refusal comes
			// within that bound.
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
			expectAccepted(t, tg, meRoute, tok.AccessToken, provider.Subject)
		})
	}
}

// Tokens the same provider issues, with the same key, for another audience
// are refused everywhere as invalid_token, on every route; tokens for our
// audience from the same provider pass, so the audience alone decides.
func TestWrongAudience(t *testing.T) {
	t.Parallel()
	p := startProvider(t, nil)
	targets := startTargets(t, targetConfig{issuer: p.Issuer, tokenCache: true})
	o := newOAuthClient(t, p.Issuer)

	service := o.clientCredentials(t, billingWorker, "admin")
	checkAccessToken(t, p, service.AccessToken, billingWorker.ID, []string{"billing-api"}, "admin")
	user := o.authorizationCode(t, billingCLI, "openid")
	checkAccessToken(t, p, user.AccessToken, provider.Subject, []string{billingCLI.ID, "billing-api"}, "openid")
	ours := o.clientCredentials(t, worker, "admin")

	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			for _, tok := range []string{service.AccessToken, user.AccessToken} {
				for _, r := range []route{meRoute, adminRoute, transferRoute} {
					expectRefused(t, tg, r, tok, http.StatusUnauthorized, "invalid_token")
				}
			}
			expectAccepted(t, tg, adminRoute, ours.AccessToken, worker.ID)
		})
	}
}

// While the provider is down, the keys loaded before keep working: tokens
// never seen are verified with them (the token cache is off everywhere),
// even after a refresh for an unknown kid failed. The fresh route fails
// closed. When the provider comes back on the same address with a new
// signing key, tokens under the new kid are accepted within a bound, and
// tokens signed with the withdrawn key are refused.
func TestProviderOutageAndRestart(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	before := startProvider(t, ln)
	targets := startTargets(t, targetConfig{issuer: before.Issuer, tokenCache: false})
	o := newOAuthClient(t, before.Issuer)
	seen := o.clientCredentials(t, worker).AccessToken
	unseen := o.clientCredentials(t, worker).AccessToken
	for _, tg := range targets {
		expectAccepted(t, tg, meRoute, seen, worker.ID)
	}

	before.Close()
	if resp, err := plainClient.Get(before.Issuer + "/.well-known/openid-configuration"); err == nil {
		resp.Body.Close()
		t.Fatal("the provider still answers after Close")
	}
	foreign := foreignToken(t, before.Issuer)

	t.Run("outage", func(t *testing.T) {
		for _, tg := range targets {
			t.Run(tg.name, func(t *testing.T) {
				// An unknown kid: the refresh it asks for fails; the cached
				// keys stay.
				expectRefused(t, tg, meRoute, foreign, http.StatusUnauthorized, "invalid_token")
				expectAccepted(t, tg, meRoute, unseen, worker.ID)
				expectAccepted(t, tg, meRoute, seen, worker.ID)
				// The fresh route cannot ask the provider: it fails closed.
				expectRefused(t, tg, transferRoute, unseen, http.StatusServiceUnavailable, "temporarily_unavailable")
				if err := tg.ready(t.Context()); err != nil {
					t.Errorf("not ready during the outage: %v", err)
				}
			})
		}
	})

	after := startProvider(t, relisten(t, addr))
	if after.Issuer != before.Issuer || after.KeyID() == before.KeyID() {
		t.Fatalf(
			"the restarted provider has issuer %s and the same key: %v",
			after.Issuer,
			after.KeyID() == before.KeyID(),
		)
	}
	rotated := newOAuthClient(t, after.Issuer).clientCredentials(t, worker).AccessToken
	checkAccessToken(t, after, rotated, worker.ID, []string{apiAudience}, "")
	restartedAt := time.Now()

	t.Run("restart with a new key", func(t *testing.T) {
		for _, tg := range targets {
			t.Run(tg.name, func(t *testing.T) {
				// Refreshes for unknown kids are rate-limited (one per 5 s,
				// the default); the foreign token above spent the last one.
				err := eventually(
					t,
					core.DefaultUnknownKIDRefreshInterval+10*time.Second,
					func(ctx context.Context) error {
						a, err := tryCall(ctx, meRoute.method, tg.url+meRoute.path, rotated)
						if err != nil {
							return err
						}
						return accepted(a, worker.ID)
					},
				)
				if err != nil {
					t.Fatalf(
						"the new key was not picked up %v after the restart: %v",
						time.Since(restartedAt).Round(time.Millisecond),
						err,
					)
				}
				t.Logf("new key picked up %v after the restart", time.Since(restartedAt).Round(time.Millisecond))
				expectAccepted(t, tg, transferRoute, rotated, worker.ID)
				// The old key is no longer published.
				expectRefused(t, tg, meRoute, unseen, http.StatusUnauthorized, "invalid_token")
			})
		}
	})
}

// relisten listens on addr again, the address a stopped provider had.
func relisten(t *testing.T, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	err := eventually(t, 5*time.Second, func(context.Context) error {
		var err error
		ln, err = net.Listen("tcp", addr)
		if err != nil && !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatal(err)
		}
		return err
	})
	if err != nil {
		t.Fatalf("listening on %s again: %v", addr, err)
	}
	return ln
}

// publishedKeyIDs reads the kids of the provider's JWKS, where discovery
// points.
func (o *oauthClient) publishedKeyIDs(t *testing.T) []string {
	t.Helper()
	resp, err := o.http.Get(o.meta.JWKSURI)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KID)
	}
	return kids
}
