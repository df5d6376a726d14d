package core

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/identsphere/identsphere-go/internal/jose"
)

// issuer is one trusted issuer: its configuration, its keys, and the checks
// of the claims of the tokens it signs. A Validator holds one (New) or
// several (NewMulti).
type issuer struct {
	cfg    Config
	keys   *keySource
	tenant *tenantOf // set on issuers made from an IssuerTemplate
}

// newIssuer starts loading the keys of an issuer whose cfg has its defaults
// filled in, over transport (see newIssuerClientOver).
func newIssuer(ctx context.Context, cfg Config, transport *http.Transport) *issuer {
	return newIssuerWith(ctx, cfg, transport, loadHooks{})
}

// newIssuerWith is newIssuer whose first key load ends as hooks say.
func newIssuerWith(ctx context.Context, cfg Config, transport *http.Transport, hooks loadHooks) *issuer {
	return &issuer{cfg: cfg, keys: newKeySource(ctx, cfg, transport, hooks)}
}

// checkClaims runs the time checks (checkTimes) and the other claim
// checks, and reports the first failure in the documented order.
func (is *issuer) checkClaims(c *Claims) error {
	if err := is.checkKind(c); err != nil {
		return err
	}
	if err := is.checkTimes(c); err != nil {
		return err
	}
	switch {
	case !is.cfg.SkipIssuerCheck && c.Issuer == "":
		return tokenErr(CheckIss, "the token has no issuer", nil)
	case !is.cfg.SkipIssuerCheck && !is.acceptedIssuer(c.Issuer):
		return mismatch(CheckIss, "the token's issuer is not accepted", nil,
			append([]string{is.cfg.Issuer}, is.cfg.IssuerAliases...), []string{c.Issuer})
	}
	if !is.cfg.SkipAudienceCheck {
		aud := c.Audience
		if fallback, ok := is.audienceFromFallback(c); ok {
			aud = fallback
		}
		switch {
		case len(aud) == 0:
			return tokenErr(CheckAud, "the token has no audience", nil)
		case !containsAny(aud, is.cfg.Audience) && !matchesResource(aud, is.cfg.Audience):
			return mismatch(CheckAud, "the token's audience is not accepted", nil, is.cfg.Audience, aud)
		}
	}
	switch {
	case c.Subject == "":
		return tokenErr(CheckSub, "the token has no subject", nil)
	case is.cfg.MaxTokenAge > 0 && c.IssuedAt.IsZero():
		return tokenErr(CheckIat, "the token has no issue time, so its age cannot be bounded", nil)
	case is.cfg.MaxTokenAge > 0 && !is.cfg.Now().Before(is.maxAgeEnd(c)):
		return tokenErr(CheckIat, "the token is older than the maximum age", nil)
	}
	return is.checkProfileClaims(c)
}

// maxAgeEnd is when a token stops being young enough for MaxTokenAge.
func (is *issuer) maxAgeEnd(c *Claims) time.Time {
	return c.IssuedAt.Add(is.cfg.MaxTokenAge + is.cfg.Leeway)
}

// cacheUntil is when a verified token stops being good on time alone.
func (is *issuer) cacheUntil(c *Claims) time.Time {
	end := c.ExpiresAt.Add(is.cfg.Leeway)
	if is.cfg.MaxTokenAge > 0 {
		end = minTime(end, is.maxAgeEnd(c))
	}
	return end
}

func (is *issuer) applyRules(ctx context.Context, c *Claims) error {
	if is.cfg.Revocation != nil {
		revoked, err := is.cfg.Revocation.Revoked(ctx, c)
		switch {
		case err != nil:
			return fmt.Errorf("%w: %w", ErrRevocationUnavailable, err)
		case revoked:
			return &TokenError{
				Check:       CheckRevoked,
				Description: "the token has been revoked",
				Issuer:      is.cfg.Issuer,
				Subject:     c.Subject,
			}
		}
	}
	if is.cfg.RequireVerifiedEmail {
		if err := RequireVerifiedEmail()(ctx, c); err != nil {
			return err
		}
	}
	return CheckRules(ctx, c, is.cfg.Rules...)
}

// waitReady blocks until the issuer's keys are loaded, it is closed, or ctx
// ends; see Validator.WaitReady.
func (is *issuer) waitReady(ctx context.Context) error {
	select {
	case <-is.keys.ready:
	case <-is.keys.closed:
	case <-ctx.Done():
		return fmt.Errorf(
			"identsphere: waiting for the signing keys of %s: %w",
			is.cfg.Issuer,
			errors.Join(ctx.Err(), ErrKeysUnavailable, is.keys.err()),
		)
	}
	switch {
	case is.keys.usable():
		return nil
	case is.keys.keys.Load() != nil:
		return errors.New("identsphere: validator closed: signing keys are no longer refreshed")
	}
	return fmt.Errorf(
		"identsphere: validator closed before keys loaded: %w",
		errors.Join(ErrKeysUnavailable, is.keys.err()),
	)
}

// mismatch is a TokenError for a configuration check (iss, aud) that says
// what was expected and what was found, for the refusal log; the answer to
// the client stays the fixed description.
func mismatch(check Check, description string, err error, expected, found []string) error {
	return &TokenError{Check: check, Description: description, Err: err, Expected: expected, Found: found}
}

// checkSignature finds the key that must check t and checks t's signature
// with it. Any asymmetric algorithm golang-jwt verifies is allowed,
// narrowed by Config.Algorithms; that a published key fits it (its type,
// its curve, its own alg) is decided by the key lookup, against the key set
// of the moment, so a provider that moves to another algorithm needs no
// restart.
func (is *issuer) checkSignature(ctx context.Context, t *jws) (*verificationKey, error) {
	loaded := is.keys.keys.Load()
	if loaded == nil {
		return nil, ErrKeysUnavailable
	}
	alg, ok := jose.LookupAlgorithm(t.alg)
	if !ok || len(is.cfg.Algorithms) > 0 && !slices.Contains(is.cfg.Algorithms, t.alg) {
		return nil, tokenErr(CheckAlg, "the token's algorithm is not allowed", nil)
	}
	key, err := is.keys.lookup(ctx, loaded, t)
	if err != nil {
		return nil, err
	}
	var buf jose.SignatureBuffer
	sig, err := t.decodeSignature(&buf)
	if err != nil {
		return nil, err
	}
	if err := alg.Verify(t.SigningInput, sig, key.key); err != nil {
		return nil, tokenErr(CheckSignature, "the token signature is invalid", nil)
	}
	return key, nil
}
