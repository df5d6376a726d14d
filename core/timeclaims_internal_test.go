package core

import (
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// checkTimes decides exp, nbf and iat as golang-jwt's validator (the
// oracle, which it replaced) does, on and around every boundary, fractions
// of a second included, and reports the first failure in the same order.
func TestCheckTimesAgreesWithGolangJWT(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	leeway := 30 * time.Second
	var offsets []time.Duration // claim times around now, with and without fractions
	steps := []time.Duration{-leeway - time.Second, -leeway, -time.Second, 0, time.Second, leeway, leeway + time.Second}
	for _, s := range steps {
		offsets = append(offsets, s, s+time.Millisecond, s-time.Millisecond, s+999*time.Millisecond)
	}
	var now time.Time
	is := &issuer{cfg: Config{Leeway: leeway, Now: func() time.Time { return now }}}
	oracle := jwt.NewValidator(jwt.WithLeeway(leeway), jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	date := func(t time.Time) *jwt.NumericDate {
		if t.IsZero() {
			return nil
		}
		return jwt.NewNumericDate(t)
	}
	cases := 0
	for _, nowOff := range []time.Duration{0, 500 * time.Millisecond} {
		now = base.Add(nowOff)
		for _, exp := range offsets {
			for _, other := range append(offsets, 0) {
				for _, which := range []string{"nbf", "iat"} {
					c := &Claims{ExpiresAt: base.Add(exp)}
					if which == "nbf" {
						c.NotBefore = base.Add(other)
					} else {
						c.IssuedAt = base.Add(other)
					}
					want := oracle.Validate(jwt.RegisteredClaims{
						ExpiresAt: date(c.ExpiresAt), NotBefore: date(c.NotBefore), IssuedAt: date(c.IssuedAt),
					})
					got := CheckOf(is.checkTimes(c))
					wantCheck := Check("")
					switch {
					case errors.Is(want, jwt.ErrTokenExpired):
						wantCheck = CheckExp
					case errors.Is(want, jwt.ErrTokenNotValidYet):
						wantCheck = CheckNbf
					case errors.Is(want, jwt.ErrTokenUsedBeforeIssued):
						wantCheck = CheckIat
					}
					if got != wantCheck {
						t.Errorf("now %v, exp %v, %s %v: check %q, golang-jwt says %q (%v)",
							nowOff, exp, which, other, got, wantCheck, want)
					}
					cases++
				}
			}
		}
	}
	if err := is.checkTimes(&Claims{}); CheckOf(err) != CheckExp {
		t.Errorf("no exp: %v, want the exp check", err)
	}
	t.Logf("%d cases", cases)
}
