package core_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// idTokenAlgsProvider is a provider whose discovery document lists the
// algorithms of its ID tokens only, while its JWKS (served by an authtest
// issuer) also holds the keys of its access tokens.
type idTokenAlgsProvider struct {
	srv  *httptest.Server
	keys *authtest.Issuer
	mu   sync.Mutex
	algs []string
}

func newIDTokenAlgsProvider(t *testing.T, keys *authtest.Issuer, algs ...string) *idTokenAlgsProvider {
	p := &idTokenAlgsProvider{keys: keys, algs: algs}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		algs := p.algs
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).
			Encode(map[string]any{
				"issuer":                                p.srv.URL,
				"jwks_uri":                              keys.JWKSURL(),
				"id_token_signing_alg_values_supported": algs,
			})
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idTokenAlgsProvider) mint(kid string) string {
	return p.keys.MustMint(authtest.Claims{"iss": p.srv.URL}, authtest.SignWith(kid))
}

func TestAccessTokenAlgorithmsFollowThePublishedKeysNotDiscovery(t *testing.T) {
	keys := authtest.NewIssuer(
		authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithKey(testkeys.KIDEC, testkeys.EC()),
		authtest.WithAudience(authcases.Audience),
	)
	t.Cleanup(keys.Close)
	p := newIDTokenAlgsProvider(t, keys, "RS256") // ID tokens: RS256; access tokens: ES256
	v := authcases.NewValidator(
		t,
		core.Config{Issuer: p.srv.URL, Audience: []string{authcases.Audience}, Logger: authcases.Discard()},
	)
	for _, kid := range []string{testkeys.KIDEC, testkeys.KIDRSA} {
		if _, err := v.Verify(t.Context(), p.mint(kid)); err != nil {
			t.Errorf("token signed by %s refused although its key is published: %v", kid, err)
		}
	}

	narrowed := authcases.NewValidator(
		t,
		core.Config{
			Issuer:     p.srv.URL,
			Audience:   []string{authcases.Audience},
			Algorithms: []string{"RS256"},
			Logger:     authcases.Discard(),
		},
	)
	_, err := narrowed.Verify(t.Context(), p.mint(testkeys.KIDEC))
	wantCheck(t, err, "alg")
}

// A provider that moves from RS256 to ES256 keeps working without a
// restart: the new key and algorithm are picked up with the key set,
// whatever discovery says, and the old algorithm ends with its key.
func TestMigrationFromRS256ToES256NeedsNoRestart(t *testing.T) {
	keys := authtest.NewIssuer(
		authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithAudience(authcases.Audience),
	)
	t.Cleanup(keys.Close)
	p := newIDTokenAlgsProvider(t, keys, "RS256")
	cfg := core.Config{Issuer: p.srv.URL, Audience: []string{authcases.Audience}, Logger: authcases.Discard()}
	refreshOnEveryUnknownKID(&cfg) // the test is about algorithms, not the refresh limiter
	v := authcases.NewValidator(t, cfg)
	old := p.mint(testkeys.KIDRSA)
	mustVerify(t, v, old)

	keys.AddKey(testkeys.KIDEC, testkeys.EC())
	p.mu.Lock()
	p.algs = []string{"ES256"} // the ID-token key moved too
	p.mu.Unlock()
	if _, err := v.Verify(t.Context(), p.mint(testkeys.KIDEC)); err != nil {
		t.Fatalf("ES256 token after the migration: %v", err)
	}
	mustVerify(t, v, p.mint(testkeys.KIDRSA)) // still published: still accepted

	keys.RemoveKey(testkeys.KIDRSA)
	fresh := authcases.NewValidator(t, cfg) // started after the move: discovery lists ES256 only
	mustVerify(t, fresh, p.mint(testkeys.KIDEC))
	_, err := fresh.Verify(t.Context(), old)
	wantCheck(t, err, "kid")
}

// An issuer configured with or without the trailing slash its discovery
// document has keeps failing (the specification wants them identical), and
// the error, which the load loop logs, says exactly that and the fix.
func TestTrailingSlashIssuerMismatchNamesTheFix(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL + "/", "jwks_uri": srv.URL + "/jwks"})
	}))
	t.Cleanup(srv.Close)
	v := start(t, core.Config{Issuer: srv.URL, Audience: []string{authcases.Audience}, Logger: authcases.Discard()})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	err := v.WaitReady(ctx)
	if err == nil || !strings.Contains(err.Error(), "only by a trailing slash") ||
		!strings.Contains(err.Error(), `set Config.Issuer to "`+srv.URL+`/"`) {
		t.Fatalf("WaitReady: %v; want the trailing-slash mismatch and its fix named", err)
	}
}
