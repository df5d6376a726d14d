package core

import "time"

// checkTimes checks a token's exp (required), nbf and iat against the
// clock with the issuer's leeway, and reports the first failure in that
// order. It runs on every token that is not in the cache, so it allocates
// nothing.
//
// A NumericDate counts in whole seconds: its fraction is dropped before
// the comparison, so that "exp": 100.9 expires at 100 (plus the leeway),
// as golang-jwt's validator, which this replaces, has always compared.
func (is *issuer) checkTimes(c *Claims) error {
	now, leeway := is.cfg.Now(), is.cfg.Leeway
	switch {
	case c.ExpiresAt.IsZero():
		return tokenErr(CheckExp, "the token has no expiry", nil)
	case !now.Before(wholeSeconds(c.ExpiresAt).Add(leeway)):
		return tokenErr(CheckExp, "the token has expired", nil)
	case !c.NotBefore.IsZero() && now.Before(wholeSeconds(c.NotBefore).Add(-leeway)):
		return tokenErr(CheckNbf, "the token is not valid yet", nil)
	case !c.IssuedAt.IsZero() && now.Before(wholeSeconds(c.IssuedAt).Add(-leeway)):
		return tokenErr(CheckIat, "the token is issued in the future", nil)
	}
	return nil
}

// wholeSeconds drops the fraction of a second of a NumericDate.
func wholeSeconds(t time.Time) time.Time { return t.Truncate(time.Second) }
