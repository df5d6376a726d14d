package core_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

func TestMaxTokenAge(t *testing.T) {
	iss := newIssuer(t)
	var clk clock
	cfg := config(iss)
	cfg.MaxTokenAge = 10 * time.Minute
	cfg.Now = clk.now
	v := authcases.NewValidator(t, cfg)

	token := iss.MustMint(authtest.Claims{"exp": time.Now().Add(24 * time.Hour)})
	mustVerify(t, v, token)
	mustVerify(t, v, token) // cached
	clk.advance(10*time.Minute + core.DefaultLeeway + time.Second)
	_, err := v.Verify(t.Context(), token) // exp is hours away, but the token is too old
	wantCheck(t, err, "iat")

	_, err = v.Verify(t.Context(), iss.MustMint(authtest.Claims{"iat": nil}))
	wantCheck(t, err, "iat")
}

func TestDenylist(t *testing.T) {
	iss := newIssuer(t)
	var clk clock
	deny := core.NewDenylist(clk.now)
	cfg := config(iss)
	cfg.Revocation = deny
	cfg.Now = clk.now
	v := authcases.NewValidator(t, cfg)

	exp := time.Now().Add(time.Hour)
	byJTI := iss.MustMint(authtest.Claims{"jti": "t-1", "exp": exp})
	bySID := iss.MustMint(authtest.Claims{"sid": "s-1", "exp": exp})
	bySub := iss.MustMint(authtest.Claims{"sub": "user-9", "exp": exp})
	other := iss.MustMint(authtest.Claims{"sub": "user-2", "exp": exp})
	for _, tok := range []string{byJTI, bySID, bySub, other} {
		mustVerify(t, v, tok) // all cached now
	}

	deny.RevokeToken(iss.URL(), "t-1", exp)
	deny.RevokeSession(iss.URL(), "s-1", exp)
	deny.RevokeSubject(iss.URL(), "user-9", 2*time.Hour)
	for name, tok := range map[string]string{"jti": byJTI, "sid": bySID, "sub": bySub} {
		_, err := v.Verify(t.Context(), tok)
		wantCheck(t, err, "revoked")
		if !errors.Is(err, core.ErrInvalidToken) {
			t.Errorf("%s: %v", name, err)
		}
	}
	mustVerify(t, v, other)

	clk.advance(core.MaxLeeway + time.Second) // a token issued after the subject's revocation
	mustVerify(t, v, iss.MustMint(authtest.Claims{"sub": "user-9", "iat": clk.now()}))

	// Entries expire with the tokens they deny, and are swept on writes.
	clk.advance(3 * time.Hour)
	for i := range 64 {
		deny.RevokeToken(iss.URL(), "later-"+strconv.Itoa(i), clk.now().Add(time.Hour))
	}
	if n := deny.Len(); n != 64 {
		t.Fatalf("%d denials held after the first three expired, want 64", n)
	}
}

// An issuer whose clock runs ahead stamps iat in the future; a token it
// minted before RevokeSubject must still be denied, since the Validator
// accepts it under its leeway.
func TestRevokeSubjectDeniesTokensFromAnIssuerClockAhead(t *testing.T) {
	iss := newIssuer(t)
	var clk clock
	deny := core.NewDenylist(clk.now)
	cfg := config(iss)
	cfg.Revocation = deny
	cfg.Now = clk.now
	cfg.Leeway = core.MaxLeeway
	v := authcases.NewValidator(t, cfg)

	ahead := iss.MustMint(authtest.Claims{"sub": "user-7", "iat": clk.now().Add(50 * time.Second)})
	mustVerify(t, v, ahead)
	deny.RevokeSubject(iss.URL(), "user-7", time.Hour)
	_, err := v.Verify(t.Context(), ahead)
	wantCheck(t, err, "revoked")
}

// A Validator accepts a token until its exp plus the leeway; a denial by
// jti or sid must last as long.
func TestRevokedTokenStaysDeniedWithinTheLeewayAfterExp(t *testing.T) {
	iss := newIssuer(t)
	var clk clock
	deny := core.NewDenylist(clk.now)
	cfg := config(iss)
	cfg.Revocation = deny
	cfg.Now = clk.now
	cfg.Leeway = core.MaxLeeway
	v := authcases.NewValidator(t, cfg)

	exp := clk.now().Add(time.Minute)
	byJTI := iss.MustMint(authtest.Claims{"jti": "t-2", "exp": exp})
	bySID := iss.MustMint(authtest.Claims{"sid": "s-2", "exp": exp})
	deny.RevokeToken(iss.URL(), "t-2", exp)
	deny.RevokeSession(iss.URL(), "s-2", exp)
	clk.advance(time.Minute + core.MaxLeeway/2) // past exp, within the leeway
	for _, tok := range []string{byJTI, bySID} {
		_, err := v.Verify(t.Context(), tok)
		wantCheck(t, err, "revoked")
	}
}

type failingChecker struct{}

func (failingChecker) Revoked(context.Context, *core.Claims) (bool, error) {
	return false, errors.New("store down")
}

func TestRevocationStoreDownFailsClosed(t *testing.T) {
	iss := newIssuer(t)
	cfg := config(iss)
	cfg.Revocation = failingChecker{}
	v := authcases.NewValidator(t, cfg)
	_, err := v.Verify(t.Context(), iss.MustMint(nil))
	if !errors.Is(err, core.ErrRevocationUnavailable) {
		t.Fatalf("err = %v, want ErrRevocationUnavailable", err)
	}
	if r := core.NewErrorResponse(err, "x"); r.Status != 503 || r.RetryAfter == "" {
		t.Fatalf("answer %d %q, want 503 with Retry-After", r.Status, r.RetryAfter)
	}
}

// issuerA and issuerB name two issuers in tests of a Denylist alone.
const (
	issuerA = "https://a.example"
	issuerB = "https://b.example"
)

// revoked asks d about claims, failing the test on an error (Denylist never
// returns one).
func revoked(t *testing.T, d *core.Denylist, c core.Claims) bool {
	t.Helper()
	r, err := d.Revoked(t.Context(), &c)
	if err != nil {
		t.Fatalf("Denylist.Revoked: %v", err)
	}
	return r
}

// The Deny methods apply replicated denials: absolute times used as given
// (never widened again), the later time kept whatever the order, no sweep
// until Sweep.
func TestDenylistDenyTakesAbsoluteTimesInAnyOrder(t *testing.T) {
	var clk clock
	deny := core.NewDenylist(clk.now)
	t0 := clk.now()
	early, late := t0.Add(time.Minute), t0.Add(2*time.Minute)

	deny.DenyToken(issuerA, "t-1", late)
	deny.DenyToken(issuerA, "t-1", early) // arrives second, but the later time wins
	deny.DenySession(issuerA, "s-1", early)
	deny.DenySession(issuerA, "s-1", late)
	deny.DenySubject(issuerA, "u-1", t0, late)
	deny.DenySubject(issuerA, "u-1", t0.Add(-time.Hour), early) // older and shorter: changes nothing

	byJTI := core.Claims{AdmittedBy: issuerA, Subject: "x", ID: "t-1"}
	bySID := core.Claims{AdmittedBy: issuerA, Subject: "x", SessionID: "s-1"}
	before := core.Claims{AdmittedBy: issuerA, Subject: "u-1", IssuedAt: t0.Add(-time.Second)}
	atSince := core.Claims{AdmittedBy: issuerA, Subject: "u-1", IssuedAt: t0}
	noIAT := core.Claims{AdmittedBy: issuerA, Subject: "u-1"}
	after := core.Claims{AdmittedBy: issuerA, Subject: "u-1", IssuedAt: t0.Add(time.Second)}
	for name, c := range map[string]core.Claims{
		"jti":          byJTI,
		"sid":          bySID,
		"iat before":   before,
		"iat at since": atSince,
		"no iat":       noIAT,
	} {
		if !revoked(t, deny, c) {
			t.Errorf("%s: not denied", name)
		}
	}
	if revoked(t, deny, after) {
		t.Error("a token issued after the subject's denial is denied")
	}

	clk.advance(90 * time.Second) // past early, before late: the later times were kept
	for name, c := range map[string]core.Claims{"jti": byJTI, "sid": bySID, "sub": before} {
		if !revoked(t, deny, c) {
			t.Errorf("%s: denial ended at the earlier time", name)
		}
	}

	clk.advance(30*time.Second + time.Millisecond) // past late: no MaxLeeway added
	for name, c := range map[string]core.Claims{"jti": byJTI, "sid": bySID, "sub": before} {
		if revoked(t, deny, c) {
			t.Errorf("%s: still denied after its absolute end", name)
		}
	}
	if n := deny.Len(); n != 3 {
		t.Fatalf("Len = %d before Sweep, want the 3 expired entries (Deny never sweeps)", n)
	}
	deny.DenyToken(issuerA, "t-2", clk.now().Add(time.Hour))
	if n := deny.Sweep(); n != 1 || deny.Len() != 1 {
		t.Fatalf("Sweep left %d (Len %d), want 1", n, deny.Len())
	}
}

// A subject denial that has expired is replaced, not merged: its old times
// must not stretch a new denial.
func TestDenySubjectReplacesAnExpiredEntry(t *testing.T) {
	var clk clock
	deny := core.NewDenylist(clk.now)
	t0 := clk.now()
	deny.DenySubject(issuerA, "u-2", t0.Add(time.Hour), t0.Add(time.Minute))
	clk.advance(2 * time.Minute) // the first denial is over
	deny.DenySubject(issuerA, "u-2", t0, clk.now().Add(time.Minute))
	if revoked(t, deny, core.Claims{AdmittedBy: issuerA, Subject: "u-2", IssuedAt: t0.Add(time.Second)}) {
		t.Fatal("the expired entry's issuedUpTo was merged into the new one")
	}
	if !revoked(t, deny, core.Claims{AdmittedBy: issuerA, Subject: "u-2", IssuedAt: t0}) {
		t.Fatal("the new denial is not applied")
	}
}

// Applying a replicated denial through a Validator: the token is refused
// with the revoked check, cached or not.
func TestDenyRefusesThroughTheValidator(t *testing.T) {
	iss := newIssuer(t)
	deny := core.NewDenylist(nil)
	cfg := config(iss)
	cfg.Revocation = deny
	v := authcases.NewValidator(t, cfg)

	exp := time.Now().Add(time.Hour)
	tok := iss.MustMint(authtest.Claims{"sid": "s-9", "exp": exp})
	mustVerify(t, v, tok) // cached
	deny.DenySession(iss.URL(), "s-9", exp.Add(core.MaxLeeway))
	_, err := v.Verify(t.Context(), tok)
	wantCheck(t, err, "revoked")
}

// jti, sid and sub are unique only per issuer: a denial of issuer B denies
// none of issuer A's tokens that bear the same identifiers, whichever way
// it was made, and a token's issuer is its AdmittedBy (its iss when that is
// empty, as in Claims built by hand).
func TestDenylistDeniesOnlyTheTokensOfItsIssuer(t *testing.T) {
	var clk clock
	exp := clk.now().Add(time.Hour)
	for name, revokeB := range map[string]func(*core.Denylist){
		"Revoke": func(d *core.Denylist) {
			for _, err := range []error{
				d.RevokeToken(issuerB, "t-1", exp), d.RevokeSession(issuerB, "s-1", exp),
				d.RevokeSubject(issuerB, "u-1", time.Hour),
			} {
				if err != nil {
					t.Fatal(err)
				}
			}
		},
		"Revoker": func(d *core.Denylist) {
			r := d.Revoker()
			if err := errors.Join(
				r.RevokeSession(t.Context(), issuerB, "s-1", exp),
				r.RevokeSubject(t.Context(), issuerB, "u-1", time.Hour),
			); err != nil {
				t.Fatal(err)
			}
			d.DenyToken(issuerB, "t-1", exp)
		},
		"Deny": func(d *core.Denylist) {
			d.DenyToken(issuerB, "t-1", exp)
			d.DenySession(issuerB, "s-1", exp)
			d.DenySubject(issuerB, "u-1", clk.now().Add(time.Minute), exp)
		},
	} {
		t.Run(name, func(t *testing.T) {
			deny := core.NewDenylist(clk.now)
			revokeB(deny)
			iat := clk.now()
			for what, c := range map[string]core.Claims{
				"jti": {ID: "t-1", IssuedAt: iat},
				"sid": {SessionID: "s-1", IssuedAt: iat},
				"sub": {Subject: "u-1", IssuedAt: iat},
			} {
				fromA, fromB, byISS, aliasOfA := c, c, c, c
				fromA.AdmittedBy, fromB.AdmittedBy = issuerA, issuerB
				byISS.Issuer = issuerB
				aliasOfA.AdmittedBy, aliasOfA.Issuer = issuerA, issuerB // A admits B's URL as an alias
				if revoked(t, deny, fromA) || revoked(t, deny, aliasOfA) {
					t.Errorf("%s: issuer B's denial denied issuer A's token", what)
				}
				if !revoked(t, deny, fromB) || !revoked(t, deny, byISS) {
					t.Errorf("%s: issuer B's denial did not deny B's token", what)
				}
			}
		})
	}
}

// A denial that could never deny anything is an error, not a silent no-op.
func TestDenylistRefusesADenialWithoutIssuerOrID(t *testing.T) {
	deny := core.NewDenylist(nil)
	exp := time.Now().Add(time.Hour)
	for name, err := range map[string]error{
		"token without issuer":   deny.RevokeToken("", "t-1", exp),
		"token without jti":      deny.RevokeToken(issuerA, "", exp),
		"session without issuer": deny.RevokeSession("", "s-1", exp),
		"subject without sub":    deny.RevokeSubject(issuerA, "", time.Hour),
		"Revoker without issuer": deny.Revoker().RevokeSession(t.Context(), "", "s-1", exp),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := deny.Len(); n != 0 {
		t.Fatalf("%d denials held after refused ones", n)
	}
}
