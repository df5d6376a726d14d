package authtest

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"
)

// The testing kit: one-line helpers for tests of handlers behind the
// middleware (a real issuer, a real Validator, requests with real tokens)
// and of handlers alone (claims in the request's context). They take the
// test, fail it with t.Fatal rather than returning errors, and release what
// they start with t.Cleanup.

// ReadyTimeout bounds how long [Issuer.Validator] waits for the issuer's
// keys. The issuer is on loopback and answers in milliseconds, so a test
// that waits longer is misconfigured (a fault left set, a wrong URL), and
// fails in seconds with the reason instead of at go test's timeout.
const ReadyTimeout = 5 * time.Second

// Start starts an issuer, as NewIssuer does, and closes it when the test
// and its subtests end.
func Start(t testing.TB, opts ...Option) *Issuer {
	t.Helper()
	iss := NewIssuer(opts...)
	t.Cleanup(iss.Close)
	return iss
}

// Validator returns a core.Validator for this issuer's tokens (Issuer
// URL(), Audience Audience()), with its keys loaded, and closes it when the
// test ends. configure changes the Config first (a Rule, MaxTokenAge,
// Revocation...). The Validator logs to the test's output unless configure
// sets a Logger.
//
// It waits at most ReadyTimeout for the keys, then fails the test with the
// reason the Validator gives (an issuer fault, discovery disagreeing with
// the configured issuer...); a Config that core.New refuses fails it at
// once.
func (i *Issuer) Validator(t testing.TB, configure ...func(*core.Config)) *core.Validator {
	t.Helper()
	cfg := core.Config{Issuer: i.URL(), Audience: []string{i.Audience()}}
	for _, f := range configure {
		f(&cfg)
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	v, err := core.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("authtest: core.New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), ReadyTimeout)
	defer cancel()
	if err := v.WaitReady(ctx); err != nil {
		t.Fatalf("authtest: the Validator has no keys after %v: %v", ReadyTimeout, err)
	}
	return v
}

// Introspector returns a core.Introspector over v that asks this issuer
// (RFC 7662, with the credentials it accepts: IntrospectionClientID and
// IntrospectionClientSecret unless WithIntrospectionClient), for routes
// behind RequireFresh, and closes it when the test ends. When v trusts
// several issuers, the credentials are bound to this one: tokens of the
// others are answered as an unreachable endpoint would be. configure
// changes the IntrospectionConfig first (CacheTTL, FailOpen...). Tokens
// passed to Revoke are then refused on those routes.
func (i *Issuer) Introspector(
	t testing.TB,
	v *core.Validator,
	configure ...func(*core.IntrospectionConfig),
) *core.Introspector {
	t.Helper()
	id, secret, _ := strings.Cut(i.introspectionClient, ":")
	cfg := core.IntrospectionConfig{ClientID: id, ClientSecret: secret}
	if len(v.Status().Issuers) != 1 {
		cfg.Issuer = i.URL()
	}
	for _, f := range configure {
		f(&cfg)
	}
	in, err := core.NewIntrospector(v, cfg)
	if err != nil {
		t.Fatalf("authtest: core.NewIntrospector: %v", err)
	}
	t.Cleanup(func() { _ = in.Close() })
	return in
}

// Token is MustMint for tests: a token with claims over the defaults (see
// Mint), failing the test instead of panicking when it cannot be minted.
func (i *Issuer) Token(t testing.TB, claims Claims, opts ...MintOption) string {
	t.Helper()
	token, err := i.Mint(claims, opts...)
	if err != nil {
		t.Fatalf("authtest: %v", err)
	}
	return token
}

// Request returns a request for target, as httptest.NewRequest makes it,
// carrying a token minted with claims (see Mint) in its Authorization
// header:
//
//	rec := httptest.NewRecorder()
//	router.ServeHTTP(rec, iss.Request(t, "GET", "/api/me", authtest.Claims{"scope": "admin"}))
func (i *Issuer) Request(t testing.TB, method, target string, claims Claims, opts ...MintOption) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	r.Header.Set("Authorization", "Bearer "+i.Token(t, claims, opts...))
	return r
}

// CookieRequest is Request with the token in the CookieName cookie, as a
// browser sends it after logging in, instead of the Authorization header.
// It carries no Origin or Sec-Fetch-Site header, so the middleware's
// cross-origin check lets it through whatever its method; add them to test
// that check.
func (i *Issuer) CookieRequest(t testing.TB, method, target string, claims Claims, opts ...MintOption) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	r.AddCookie(&http.Cookie{Name: CookieName, Value: i.Token(t, claims, opts...)})
	return r
}

// NewClaims returns the core.Claims that a token minted with claims would
// carry once verified, typed fields and custom claims alike (Decode and
// CustomClaims work on them), without an issuer, a token or a Validator:
// for tests that call a handler directly. The defaults are Mint's, less
// the issuer: aud DefaultAudience, sub DefaultSubject, iat now, exp now +
// DefaultTokenTTL, a random jti. claims override them; a nil value removes
// one. Claims of the wrong type ("exp": "tomorrow") fail the test.
func NewClaims(t testing.TB, claims Claims) *core.Claims {
	t.Helper()
	now := time.Now()
	members := map[string]any{
		"aud": DefaultAudience,
		"sub": DefaultSubject,
		"iat": now.Unix(),
		"exp": now.Add(DefaultTokenTTL).Unix(),
		"jti": rand.Text(),
	}
	for name, value := range claims {
		if value == nil {
			delete(members, name)
			continue
		}
		members[name] = value
	}
	c, err := core.NewClaims(members)
	if err != nil {
		t.Fatalf("authtest: %v", err)
	}
	return c
}

// Admitted returns a copy of r carrying NewClaims(t, claims) in its
// context, as the middleware passes on a request it admitted, for tests
// that call a handler directly (core.ClaimsFrom, chiauth.Claims and
// ginauth.Claims find them):
//
//	handler(rec, authtest.Admitted(t, req, authtest.Claims{"roles": []string{"admin"}}))
//
// Route rules (Require, RequireScope...) apply to it as they do behind the
// middleware; a freshness check (RequireFresh) needs a real token and
// refuses it.
func Admitted(t testing.TB, r *http.Request, claims Claims) *http.Request {
	t.Helper()
	return r.WithContext(core.WithClaims(r.Context(), NewClaims(t, claims)))
}

// testLogger returns a logger that writes to the test's output until the
// test's cleanup has run, and drops what comes later, so that a background
// goroutine logging late can never write to a finished test (a panic).
func testLogger(t testing.TB) *slog.Logger {
	w := &testWriter{out: t.Output()}
	t.Cleanup(w.finish) // registered before the Validator's Close, so it runs after it
	return slog.New(slog.NewTextHandler(w, nil))
}

type testWriter struct {
	mu   sync.Mutex
	out  io.Writer
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(p), nil
	}
	return w.out.Write(p)
}

func (w *testWriter) finish() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
}
