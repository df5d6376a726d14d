package core_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

func newIntrospector(t *testing.T, v *core.Validator, mutate ...func(*core.IntrospectionConfig)) *core.Introspector {
	cfg := core.IntrospectionConfig{
		ClientID:     authtest.IntrospectionClientID,
		ClientSecret: authtest.IntrospectionClientSecret,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	in, err := core.NewIntrospector(v, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	return in
}

// freshHandler serves /api/me locally and /api/transfer with a fresh check.
func freshHandler(v core.TokenVerifier, f core.FreshnessChecker) http.Handler {
	a := core.NewAuthenticator(v)
	serve := func(fresh bool) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, ok := a.Admit(w, r)
			if !ok || fresh && !core.Fresh(w, r, f) {
				return
			}
			c, _ := core.ClaimsFrom(r.Context())
			authcases.WriteMe(w, c)
		})
	}
	mux := http.NewServeMux()
	mux.Handle("/api/me", serve(false))
	mux.Handle("/api/transfer", serve(true))
	return mux
}

func TestRevokedTokenRefusedOnlyOnFreshRoutes(t *testing.T) {
	iss := newIssuer(t)
	var clk clock
	cfg := config(iss)
	cfg.Now = clk.now
	v := authcases.NewValidator(t, cfg)
	srv := authcases.Serve(t, freshHandler(v, newIntrospector(t, v)))
	token := iss.MustMint(nil)
	get := func(path string) authcases.Answer {
		return authcases.Do(t, srv.URL, authcases.Case{Path: path, Auth: []string{"Bearer " + token}})
	}
	authcases.Check(t, authcases.Case{Name: "live, fresh route", Status: 200}, get("/api/transfer"))

	iss.Revoke(token)
	clk.advance(core.DefaultIntrospectionCacheTTL + time.Second) // the cached "active" runs out
	authcases.Check(
		t,
		authcases.Case{
			Name:      "revoked, fresh route",
			Status:    401,
			Challenge: authcases.ChallengeToken,
			Code:      "invalid_token",
		},
		get("/api/transfer"),
	)
	authcases.Check(t, authcases.Case{Name: "revoked, local route", Status: 200}, get("/api/me"))
}

func TestIntrospectionCache(t *testing.T) {
	iss := newIssuer(t)
	var clk clock
	cfg := config(iss)
	cfg.Now = clk.now
	v := authcases.NewValidator(t, cfg)
	in := newIntrospector(t, v)
	token := iss.MustMint(authtest.Claims{"exp": time.Now().Add(time.Hour)})
	c, err := v.Verify(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	check := func() error { return in.CheckFresh(t.Context(), token, c) }

	for range 3 {
		if err := check(); err != nil {
			t.Fatal(err)
		}
	}
	if n := iss.IntrospectionRequests(); n != 1 {
		t.Fatalf("%d introspection calls within the TTL, want 1", n)
	}
	clk.advance(core.DefaultIntrospectionCacheTTL)
	if err := check(); err != nil || iss.IntrospectionRequests() != 2 {
		t.Fatalf("after the TTL: err %v, %d calls, want a second call", err, iss.IntrospectionRequests())
	}

	iss.Revoke(token)
	clk.advance(core.DefaultIntrospectionCacheTTL)
	for range 3 {
		if err := check(); !errors.Is(err, core.ErrInvalidToken) {
			t.Fatalf("revoked: %v", err)
		}
	}
	clk.advance(30 * time.Minute) // "inactive" is kept until exp: no new call
	if err := check(); !errors.Is(err, core.ErrInvalidToken) || iss.IntrospectionRequests() != 3 {
		t.Fatalf("inactive answer not kept: %v, %d calls", err, iss.IntrospectionRequests())
	}
}

func TestIntrospectionCollapsesConcurrentChecks(t *testing.T) {
	iss := newIssuer(t)
	v := authcases.NewValidator(t, config(iss))
	// The answer outlives the pile-up however slowly a busy machine starts
	// the 50 checks, so none can find it expired and call again.
	in := newIntrospector(t, v, func(c *core.IntrospectionConfig) { c.CacheTTL = time.Hour })
	token := iss.MustMint(nil)
	c, err := v.Verify(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	iss.SetIntrospectionFault(authtest.FaultSlow) // hold the call so they pile up
	iss.SetSlowDelay(200 * time.Millisecond)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if err := in.CheckFresh(context.Background(), token, c); err != nil {
				t.Errorf("CheckFresh: %v", err)
			}
		})
	}
	wg.Wait()
	if n := iss.IntrospectionRequests(); n != 1 {
		t.Fatalf("50 concurrent checks made %d calls, want 1", n)
	}
}

func TestIntrospectionOutage(t *testing.T) {
	iss := newIssuer(t)
	v := authcases.NewValidator(t, config(iss))
	token := iss.MustMint(nil)
	c, err := v.Verify(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []authtest.Fault{
		authtest.FaultDown,
		authtest.FaultServerError,
		authtest.FaultGarbage,
		authtest.FaultSlow,
	} {
		t.Run(f.String(), func(t *testing.T) {
			iss.SetIntrospectionFault(f)
			iss.SetSlowDelay(time.Minute)
			closed := newIntrospector(t, v, func(c *core.IntrospectionConfig) { c.Timeout = 100 * time.Millisecond })
			err := closed.CheckFresh(t.Context(), token, c)
			if !errors.Is(err, core.ErrRevocationUnavailable) {
				t.Fatalf("fail closed: %v, want ErrRevocationUnavailable", err)
			}
			if r := core.NewErrorResponse(err, "x"); r.Status != 503 || r.RetryAfter == "" {
				t.Fatalf("answer %d %q", r.Status, r.RetryAfter)
			}
			open := newIntrospector(
				t,
				v,
				func(c *core.IntrospectionConfig) { c.Timeout = 100 * time.Millisecond; c.FailOpen = true },
			)
			if err := open.CheckFresh(t.Context(), token, c); err != nil {
				t.Fatalf("fail open: %v", err)
			}
		})
	}
	iss.SetIntrospectionFault(authtest.FaultNone)
	wrong := newIntrospector(t, v, func(c *core.IntrospectionConfig) { c.ClientSecret = "wrong" })
	if err := wrong.CheckFresh(t.Context(), token, c); !errors.Is(err, core.ErrRevocationUnavailable) {
		t.Fatalf("bad client credentials: %v", err)
	}
}
