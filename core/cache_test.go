package core_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// clock is a settable Config.Now that moves only when told. It starts at
// the whole second of its first reading, so that a time a test derives from
// it (exp, iat: whole seconds in a token) is exactly where the test put it.
// A clock that also followed real time moved on between a test's steps, by
// more than a second on a busy machine, and an assertion at "one second
// before exp" then found the token expired.
type clock struct {
	once   sync.Once
	start  time.Time
	offset atomic.Int64
}

func (c *clock) now() time.Time {
	c.once.Do(func() { c.start = time.Now().Truncate(time.Second) })
	return c.start.Add(time.Duration(c.offset.Load()))
}

func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

func TestCacheRechecksTime(t *testing.T) {
	iss := newIssuer(t)
	var clk clock
	cfg := config(iss)
	cfg.Now = clk.now
	v := authcases.NewValidator(t, cfg)
	token := iss.MustMint(authtest.Claims{"exp": clk.now().Add(time.Minute)})
	mustVerify(t, v, token)
	mustVerify(t, v, token) // a hit

	clk.advance(time.Minute + core.DefaultLeeway - time.Second)
	mustVerify(t, v, token) // still inside the leeway, as uncached
	clk.advance(2 * time.Second)
	_, err := v.Verify(t.Context(), token)
	wantCheck(t, err, "exp")
}

func TestCacheEndsTokensOfRemovedKey(t *testing.T) {
	iss := newIssuer(t)
	iss.AddKey(testkeys.KIDRSA2, testkeys.RSA2())
	cfg := config(iss)
	refreshOnEveryUnknownKID(&cfg)
	v := authcases.NewValidator(t, cfg)
	token := iss.MustMint(nil)
	mustVerify(t, v, token)

	iss.RemoveKey(testkeys.KIDRSA)
	refresh(t, v, iss)
	_, err := v.Verify(t.Context(), token)
	wantCheck(t, err, "kid")
}

func TestCacheEndsTokensOfReplacedKeyMaterial(t *testing.T) {
	iss := newIssuer(t)
	cfg := config(iss)
	refreshOnEveryUnknownKID(&cfg)
	v := authcases.NewValidator(t, cfg)
	token := iss.MustMint(nil)
	mustVerify(t, v, token)

	iss.AddKey(testkeys.KIDRSA, testkeys.RSA2()) // same kid, new material
	refresh(t, v, iss)
	_, err := v.Verify(t.Context(), token)
	wantCheck(t, err, "signature")
}

func TestCacheRunsRulesOnEveryHit(t *testing.T) {
	iss := newIssuer(t)
	var denied atomic.Bool
	cfg := config(iss)
	cfg.Rules = []core.Rule{func(_ context.Context, c *core.Claims) error {
		if denied.Load() {
			return errors.New("revoked")
		}
		return nil
	}}
	v := authcases.NewValidator(t, cfg)
	token := iss.MustMint(nil)
	mustVerify(t, v, token)
	denied.Store(true)
	if _, err := v.Verify(t.Context(), token); !errors.Is(err, core.ErrForbidden) {
		t.Fatalf("cached token bypassed a rule: %v", err)
	}
}

func TestCacheNeverStoresFailures(t *testing.T) {
	iss := newIssuer(t)
	var clk clock
	cfg := config(iss)
	cfg.Now = clk.now
	v := authcases.NewValidator(t, cfg)
	forged := iss.MustMint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), testkeys.KIDRSA))
	for range 3 {
		_, err := v.Verify(t.Context(), forged)
		wantCheck(t, err, "signature")
	}
	early := iss.MustMint(authtest.Claims{"nbf": time.Now().Add(time.Hour)})
	_, err := v.Verify(t.Context(), early)
	wantCheck(t, err, "nbf")
	clk.advance(time.Hour)
	mustVerify(t, v, early) // not remembered as a failure either
}

func TestCacheReturnsCallersOwnClaims(t *testing.T) {
	iss := newIssuer(t)
	v := authcases.NewValidator(t, config(iss))
	token := iss.MustMint(authtest.Claims{"sub": "user-1"})
	c1, err := v.Verify(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	c1.Subject = "admin"
	c1.Scopes = append(c1.Scopes, "admin")
	c2, err := v.Verify(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Subject != "user-1" || c2.HasScope("admin") {
		t.Fatalf("a caller's change leaked into the cache: %+v", c2)
	}
}

// A hit skips parsing and the signature: its cost is the caller's copy of
// the claims. Allocation counts are deterministic, unlike timings.
func TestCacheHitAllocations(t *testing.T) {
	iss := newIssuer(t)
	for _, disabled := range []bool{false, true} {
		cfg := config(iss)
		cfg.DisableCache = disabled
		v := authcases.NewValidator(t, cfg)
		token := iss.MustMint(nil)
		mustVerify(t, v, token)
		allocs := testing.AllocsPerRun(100, func() { _, _ = v.Verify(context.Background(), token) })
		switch {
		case !disabled && allocs > 1:
			t.Errorf("a cache hit allocates %v times, want at most 1", allocs)
		case disabled && allocs < 10:
			t.Errorf("with the cache disabled, Verify allocates only %v times: is it still caching?", allocs)
		}
	}
}
