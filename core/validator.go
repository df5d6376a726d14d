package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenVerifier verifies an access token and returns its claims. The
// adapters depend on this interface rather than on *Validator, so handler
// tests can pass a stand-in.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*Claims, error)
}

// Validator verifies access tokens locally against the issuer's published
// keys. It is safe for concurrent use; build one per issuer and share it.
type Validator struct {
	cfg       Config
	keys      *keySource
	claims    *jwt.Validator
	cache     *tokenCache // nil when Config.DisableCache
	closeOnce sync.Once
}

var _ TokenVerifier = (*Validator)(nil)

// New checks cfg and starts loading the issuer's keys in the background. It
// does no network I/O itself, so it never blocks: a service can start
// listening while the issuer is still unreachable, answering 503 until keys
// arrive. Use [Validator.WaitReady] to wait for them.
//
// What the context governs: only New itself, and the values it carries
// (handed to the Logger). The background work (loading the keys, refreshing
// them every RefreshInterval and on unknown kids) lives until
// [Validator.Close], like an http.Server until Shutdown, and is not ended by
// ctx's cancellation or deadline: a start-up context with a timeout, the
// usual pattern, must not silently stop key rotation minutes later. A ctx
// that is already done is refused with an error wrapping ctx.Err(). Call
// Close when the Validator is no longer needed.
func New(ctx context.Context, cfg Config) (*Validator, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("identsphere: New: the context is already done: %w", err)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	// golang-jwt checks the time claims; iss and aud are checked here, since
	// issuer aliases and the audience fallback are ours.
	opts := []jwt.ParserOption{
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Now),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	}
	v := &Validator{
		cfg:    cfg,
		keys:   newKeySource(ctx, cfg),
		claims: jwt.NewValidator(opts...),
	}
	if !cfg.DisableCache {
		v.cache = newTokenCache(cfg.CacheSize)
	}
	return v, nil
}

// Verify checks a token and returns its claims. The checks run in this
// order, and the first failure is returned as a typed error (see
// [TokenError]): size and shape; header; algorithm allow-list, before any key
// lookup; key; signature; exp present and not past; nbf and iat not in the
// future; iss; aud; sub present; then Config.RequireVerifiedEmail and
// Config.Rules. Only the signature and claims need golang-jwt; everything
// that decides which key and algorithm may be used is decided here first.
//
// A token that verified is remembered (see Config.CacheSize) until it
// expires: seen again, it is checked against the clock and the current key
// set, and the rules run again, but it is not parsed or signature-checked a
// second time.
//
// The returned Claims are the caller's own copy; their slices are shared
// with the cache and must not be modified in place.
func (v *Validator) Verify(ctx context.Context, token string) (*Claims, error) {
	c, err := v.verifyToken(ctx, token)
	if err != nil {
		return nil, err
	}
	own := *c // c may be the cache's: the caller and the rules get their own
	if err := v.applyRules(ctx, &own); err != nil {
		return nil, err
	}
	return &own, nil
}

func (v *Validator) verifyToken(ctx context.Context, token string) (*Claims, error) {
	loaded := v.keys.keys.Load()
	snap := v.keys.store.snapshot.Load()
	// The header first: it is capped and read in linear time, so a hostile
	// token is refused before anything costs in proportion to its size.
	t, err := parseJWS(token, v.cfg.MaxTokenSize, snap)
	if err != nil {
		return nil, err
	}
	if loaded == nil {
		return nil, ErrKeysUnavailable
	}
	alg, ok := algorithms[t.alg]
	if !ok || !loaded.algs.allows(t.alg) {
		return nil, tokenErr("alg", "the token's algorithm is not allowed", nil)
	}
	if err := v.checkType(t.typ); err != nil {
		return nil, err
	}
	// Only a token whose key is published can be in the cache; the digest
	// of the whole token is computed for those alone.
	var digest [32]byte
	if v.cache != nil && (t.knownKID || !t.hasKID) {
		digest = tokenDigest(token)
		if c, ok := v.cache.get(&digest, v.cfg.Now(), snap); ok {
			return c, nil
		}
	}
	key, err := v.keys.lookup(ctx, loaded, &t)
	if err != nil {
		return nil, err
	}
	sig, err := t.decodeSignature()
	if err != nil {
		return nil, err
	}
	if err := alg.method.Verify(t.signingInput, sig, key.key); err != nil {
		return nil, tokenErr("signature", "the token signature is invalid", nil)
	}
	payload, err := t.decodePayload()
	if err != nil {
		return nil, err
	}
	c, err := decodeClaims(payload)
	if err != nil {
		return nil, err
	}
	if err := v.checkClaims(c); err != nil {
		return nil, err
	}
	if v.cache != nil {
		if !t.knownKID && t.hasKID {
			digest = tokenDigest(token) // its kid arrived with a refresh
		}
		v.cache.put(&digest, &cacheEntry{
			claims:  c,
			expires: v.cacheUntil(c),
			alg:     t.alg,
			kid:     t.kid,
			hasKID:  t.hasKID,
			key:     key.key,
		}, v.cfg.Now())
	}
	return c, nil
}

// checkClaims runs golang-jwt's time checks and this library's claim
// checks, and reports the first failure in the documented order.
func (v *Validator) checkClaims(c *Claims) error {
	if c.ExpiresAt.IsZero() {
		return tokenErr("exp", "the token has no expiry", nil)
	}
	err := v.claims.Validate((*jwtClaims)(c))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return tokenErr("exp", "the token has expired", jwt.ErrTokenExpired)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return tokenErr("nbf", "the token is not valid yet", jwt.ErrTokenNotValidYet)
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return tokenErr("iat", "the token is issued in the future", jwt.ErrTokenUsedBeforeIssued)
	case err != nil:
		return tokenErr("claims", "the token claims are invalid", err)
	case !v.cfg.SkipIssuerCheck && c.Issuer == "":
		return tokenErr("iss", "the token has no issuer", nil)
	case !v.cfg.SkipIssuerCheck && !v.acceptedIssuer(c.Issuer):
		return tokenErr("iss", "the token's issuer is not accepted", jwt.ErrTokenInvalidIssuer)
	}
	if !v.cfg.SkipAudienceCheck {
		aud := c.Audience
		if fallback, ok := v.audienceFromFallback(c); ok {
			aud = fallback
		}
		switch {
		case len(aud) == 0:
			return tokenErr("aud", "the token has no audience", nil)
		case !containsAny(aud, v.cfg.Audience):
			return tokenErr("aud", "the token's audience is not accepted", jwt.ErrTokenInvalidAudience)
		}
	}
	switch {
	case c.Subject == "":
		return tokenErr("sub", "the token has no subject", nil)
	case v.cfg.MaxTokenAge > 0 && c.IssuedAt.IsZero():
		return tokenErr("iat", "the token has no issue time, so its age cannot be bounded", nil)
	case v.cfg.MaxTokenAge > 0 && !v.cfg.Now().Before(v.maxAgeEnd(c)):
		return tokenErr("iat", "the token is older than the maximum age", nil)
	}
	return v.checkProfileClaims(c)
}

// maxAgeEnd is when a token stops being young enough for MaxTokenAge.
func (v *Validator) maxAgeEnd(c *Claims) time.Time {
	return c.IssuedAt.Add(v.cfg.MaxTokenAge + v.cfg.Leeway)
}

// cacheUntil is when a verified token stops being good on time alone.
func (v *Validator) cacheUntil(c *Claims) time.Time {
	end := c.ExpiresAt.Add(v.cfg.Leeway)
	if v.cfg.MaxTokenAge > 0 {
		end = minTime(end, v.maxAgeEnd(c))
	}
	return end
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (v *Validator) applyRules(ctx context.Context, c *Claims) error {
	if v.cfg.Revocation != nil {
		revoked, err := v.cfg.Revocation.Revoked(ctx, c)
		switch {
		case err != nil:
			return fmt.Errorf("%w: %w", ErrRevocationUnavailable, err)
		case revoked:
			return tokenErr("revoked", "the token has been revoked", nil)
		}
	}
	if v.cfg.RequireVerifiedEmail {
		if err := RequireVerifiedEmail()(ctx, c); err != nil {
			return err
		}
	}
	return CheckRules(ctx, c, v.cfg.Rules...)
}

// Ready reports whether the Validator is fit to serve: signing keys are
// loaded and are still refreshed. Failed refreshes keep the cached keys, so
// once true it stays true until Close; after Close it is false, since keys
// are no longer refreshed and a rotation would go unnoticed (Verify still
// checks tokens against the cached keys). Use it for a readiness probe.
func (v *Validator) Ready() bool {
	return v.keys.usable()
}

// WaitReady blocks until signing keys are loaded, the Validator is closed,
// or ctx ends; it returns nil exactly when Ready would report true. On
// timeout it returns ctx's error together with the last loading error,
// which names the cause (issuer unreachable, a URL that answered 404 and the
// likely fix, discovery issuer mismatch, no usable key in the set...).
func (v *Validator) WaitReady(ctx context.Context) error {
	select {
	case <-v.keys.ready:
	case <-v.keys.closed:
	case <-ctx.Done():
		return fmt.Errorf("identsphere: waiting for signing keys: %w", errors.Join(ctx.Err(), ErrKeysUnavailable, v.keys.err()))
	}
	switch {
	case v.keys.usable():
		return nil
	case v.keys.keys.Load() != nil:
		return errors.New("identsphere: validator closed: signing keys are no longer refreshed")
	}
	return fmt.Errorf("identsphere: validator closed before keys loaded: %w", errors.Join(ErrKeysUnavailable, v.keys.err()))
}

// Close stops the background key loading and refresh, waits for it to end,
// and logs that the keys are no longer refreshed; Ready reports false from
// then on. Verify keeps working on the cached keys, without refreshes. Close
// is safe while requests are in flight, and idempotent.
func (v *Validator) Close() error {
	v.closeOnce.Do(v.keys.close)
	return nil
}

// jwtClaims adapts Claims to golang-jwt's Claims interface without copying.
type jwtClaims Claims

func numericDate(t time.Time) (*jwt.NumericDate, error) {
	if t.IsZero() {
		return nil, nil
	}
	return jwt.NewNumericDate(t), nil
}

func (c *jwtClaims) GetExpirationTime() (*jwt.NumericDate, error) { return numericDate(c.ExpiresAt) }
func (c *jwtClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return numericDate(c.IssuedAt) }
func (c *jwtClaims) GetNotBefore() (*jwt.NumericDate, error)      { return numericDate(c.NotBefore) }
func (c *jwtClaims) GetIssuer() (string, error)                   { return c.Issuer, nil }
func (c *jwtClaims) GetSubject() (string, error)                  { return c.Subject, nil }
func (c *jwtClaims) GetAudience() (jwt.ClaimStrings, error)       { return c.Audience, nil }
