package core_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// admitted returns the context of a call admitted with token.
func admitted(t *testing.T, a *core.Authenticator, token string) context.Context {
	t.Helper()
	ctx, err := a.AuthenticateCall(
		context.Background(),
		&core.Call{Authorization: []string{"Bearer " + token}, Method: http.MethodGet, Path: "/events"},
	)
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// ended waits for ctx to end (a failure bound, not a timing) and returns
// its cause.
func ended(t *testing.T, ctx context.Context) error {
	t.Helper()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(30 * time.Second):
		t.Fatal("the lease did not end")
		return nil
	}
}

// A lease ends when its token is revoked, told by the Denylist; another
// token's revocation leaves it alone.
func TestLeaseEndsOnRevocation(t *testing.T) {
	deny := core.NewDenylist(nil)
	env := authcases.NewEnv(t, func(cfg *core.Config) { cfg.Revocation = deny })
	a := core.NewAuthenticator(env.Validator, core.WithRefusalLog(nil, 0))
	mine, other := admitted(
		t,
		a,
		env.Issuer.MustMint(authtest.Claims{"jti": "mine"}),
	), admitted(
		t,
		a,
		env.Issuer.MustMint(authtest.Claims{"jti": "other"}),
	)
	leased, stop := core.Lease(mine)
	defer stop()
	otherLeased, stopOther := core.Lease(other)
	defer stopOther()
	if err := deny.RevokeToken(env.Issuer.URL(), "other", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := ended(t, otherLeased); !errors.Is(err, core.ErrLeaseRevoked) {
		t.Fatalf("other lease: cause %v", err)
	}
	if leased.Err() != nil {
		t.Fatalf("another token's revocation ended the lease: %v", context.Cause(leased))
	}
	if err := deny.RevokeToken(env.Issuer.URL(), "mine", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	err := ended(t, leased)
	if !errors.Is(err, core.ErrLeaseRevoked) || !errors.Is(err, core.ErrInvalidToken) ||
		core.CheckOf(err) != core.CheckRevoked {
		t.Fatalf("cause %v", err)
	}
	if resp := core.NewErrorResponse(err, ""); resp.Status != http.StatusUnauthorized ||
		resp.Description != "the token was revoked during the connection" {
		t.Fatalf("answer %+v", resp)
	}
	// A context derived from the lease tells the same end.
	derived, cancel := context.WithCancel(leased)
	defer cancel()
	if end, ok := core.LeaseEnd(derived); !ok || end.Check != core.CheckRevoked ||
		end.Description != "the token was revoked during the connection" {
		t.Fatalf("LeaseEnd = %v, %v", end, ok)
	}
}

// A lease ends at the token's exp plus the leeway, not before.
func TestLeaseEndsAtExpiry(t *testing.T) {
	env := authcases.NewEnv(t, func(cfg *core.Config) { cfg.Leeway = time.Second })
	a := core.NewAuthenticator(env.Validator, core.WithRefusalLog(nil, 0))
	exp := time.Now().Add(time.Second).Truncate(time.Second).Add(time.Second)
	leased, stop := core.Lease(admitted(t, a, env.Issuer.MustMint(authtest.Claims{"exp": exp})))
	defer stop()
	err := ended(t, leased)
	if !errors.Is(err, core.ErrLeaseExpired) || core.CheckOf(err) != core.CheckExp {
		t.Fatalf("cause %v", err)
	}
	if end, ok := core.LeaseEnd(leased); !ok || end.Check != core.CheckExp ||
		end.Description != "the token expired during the connection" || !errors.Is(end, core.ErrLeaseExpired) {
		t.Fatalf("LeaseEnd = %v, %v", end, ok)
	}
	if end := time.Now(); end.Before(exp.Add(time.Second)) {
		t.Fatalf("ended at %v, before exp %v plus the leeway", end, exp)
	}
}

// notifierless hides the Denylist's notifications: the lease polls.
type notifierless struct{ d *core.Denylist }

func (n notifierless) Revoked(ctx context.Context, c *core.Claims) (bool, error) {
	return n.d.Revoked(ctx, c)
}

// A revocation checker that does not notify is polled.
func TestLeasePollsACheckerThatDoesNotNotify(t *testing.T) {
	deny := core.NewDenylist(nil)
	env := authcases.NewEnv(t, func(cfg *core.Config) { cfg.Revocation = notifierless{deny} })
	a := core.NewAuthenticator(env.Validator, core.WithRefusalLog(nil, 0))
	leased, stop := core.Lease(admitted(t, a, env.Issuer.MustMint(authtest.Claims{"sid": "s-1"})))
	defer stop()
	if err := deny.RevokeSession(env.Issuer.URL(), "s-1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := ended(t, leased); !errors.Is(err, core.ErrLeaseRevoked) {
		t.Fatalf("cause %v", err)
	}
}

// A context no middleware admitted has no token to lease: it ends at
// once; stop ends a lease with context.Canceled. Neither end is the
// token's: LeaseEnd says so, as it does of a lease that lives.
func TestLeaseWithoutClaimsAndStop(t *testing.T) {
	leased, stop := core.Lease(context.Background())
	defer stop()
	if err := ended(t, leased); !errors.Is(err, core.ErrMissingToken) {
		t.Fatalf("cause %v", err)
	}
	if end, ok := core.LeaseEnd(leased); ok || end != nil {
		t.Fatalf("a lease without claims: LeaseEnd = %v, %v", end, ok)
	}
	env := authcases.NewEnv(t)
	leased, stop = core.Lease(admitted(t, core.NewAuthenticator(env.Validator), env.Issuer.MustMint(nil)))
	if end, ok := core.LeaseEnd(leased); ok || end != nil {
		t.Fatalf("a live lease: LeaseEnd = %v, %v", end, ok)
	}
	stop()
	if err := ended(t, leased); !errors.Is(err, context.Canceled) {
		t.Fatalf("cause %v", err)
	}
	if end, ok := core.LeaseEnd(leased); ok || end != nil {
		t.Fatalf("a stopped lease: LeaseEnd = %v, %v", end, ok)
	}
}

// recordSignal is a slog handler that sends each record's message and
// attributes on a channel.
type recordSignal chan map[string]string

func (r recordSignal) Enabled(context.Context, slog.Level) bool { return true }
func (r recordSignal) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r recordSignal) WithGroup(string) slog.Handler            { return r }
func (r recordSignal) Handle(_ context.Context, rec slog.Record) error {
	m := map[string]string{"msg": rec.Message}
	rec.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	r <- m
	return nil
}

// A lease's end by revocation is logged as a refusal of its request: the
// check, the request's method and path, the token's fingerprint.
func TestLeaseEndIsLogged(t *testing.T) {
	deny := core.NewDenylist(nil)
	env := authcases.NewEnv(t, func(cfg *core.Config) { cfg.Revocation = deny })
	records := make(recordSignal, 4)
	a := core.NewAuthenticator(env.Validator, core.WithRefusalLog(slog.New(records), slog.LevelInfo))
	token := env.Issuer.MustMint(authtest.Claims{"jti": "logged"})
	leased, stop := core.Lease(admitted(t, a, token))
	defer stop()
	if err := deny.RevokeToken(env.Issuer.URL(), "logged", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ended(t, leased)
	select {
	case rec := <-records:
		want := map[string]string{
			"check":             "revoked",
			"method":            http.MethodGet,
			"path":              "/events",
			"token_fingerprint": core.TokenFingerprint(token),
		}
		for k, v := range want {
			if rec[k] != v {
				t.Errorf("%s = %q, want %q (record %v)", k, rec[k], v, rec)
			}
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the lease's end was not logged")
	}
}
