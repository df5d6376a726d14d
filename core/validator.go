package core

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/identsphere/identsphere-go/internal/jose"
)

// TokenVerifier verifies an access token and returns its claims. The
// adapters depend on this interface rather than on *Validator, so handler
// tests can pass a stand-in.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*Claims, error)
}

// Validator verifies access tokens locally against the issuer's published
// keys. It is safe for concurrent use; build one (New, or NewMulti for
// several issuers) and share it.
type Validator struct {
	cfg   Config      // the settings every issuer shares: MaxTokenSize, Now, Logger, cache
	one   *issuer     // the only issuer, when New built it: selected without reading iss
	multi *issuerSet  // the issuers of NewMulti, selected by iss
	cache *tokenCache // nil when Config.DisableCache

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
	v := &Validator{cfg: cfg, one: newIssuer(ctx, cfg, nil)}
	if !cfg.DisableCache {
		v.cache = newTokenCache(cfg.CacheSize)
	}
	return v, nil
}

// Verify checks a token and returns its claims. The checks run in this
// order, and the first failure is returned as a typed error (see
// [TokenError]): size and shape; header; algorithm allow-list, before any key
// lookup; key; signature; the token's kind (Config.Profile: a token of
// another kind is refused as such whatever its other claims); exp present
// and not past; nbf and iat not in the future; iss; aud; sub present; the
// profile's claims (azp, RFC 9068 claims) and Config.RequiredClaims; then
// Config.RequireVerifiedEmail and Config.Rules. Only the signature needs
// golang-jwt; everything that decides which key and algorithm may be used
// is decided here first.
//
// A token that verified is remembered (see Config.CacheSize) until it
// expires: seen again, it is checked against the clock and the current key
// set, and the rules run again, but it is not parsed or signature-checked a
// second time.
//
// The returned Claims are the caller's own copy; their slices are shared
// with the cache and must not be modified in place.
func (v *Validator) Verify(ctx context.Context, token string) (*Claims, error) {
	r, err := v.verifyToken(ctx, token)
	if err == nil {
		own := *r.claims // the cache's: the caller and the rules get their own
		if err = r.iss.applyRules(ctx, &own); err == nil {
			v.cfg.Observer.Decided(
				ctx,
				Decision{
					Admitted:          true,
					Issuer:            r.iss.cfg.Issuer,
					Cached:            r.cached,
					RevocationChecked: r.iss.cfg.Revocation != nil,
				},
			)
			return &own, nil
		}
	}
	check := CheckOf(err)
	v.cfg.Observer.Decided(
		ctx,
		Decision{Check: check, Issuer: r.issuerName(), RevocationChecked: revocationCheck(check)},
	)
	return nil, err
}

// verified is what verifyToken found: the token's claims (shared with the
// cache), the issuer chosen to check it, and whether the cache answered.
// On failure, iss is set if an issuer had been chosen.
type verified struct {
	claims *Claims
	iss    *issuer
	cached bool
	ath    string // the token's hash (accessTokenHash), for a DPoP-bound token
}

func (r verified) issuerName() string {
	if r.iss == nil {
		return ""
	}
	return r.iss.cfg.Issuer
}

// verifyToken returns the claims of a valid token and the issuer that
// admitted it. A TokenError it returns carries what was known of the token
// (issuer, alg, kid, subject), for the refusal log.
func (v *Validator) verifyToken(ctx context.Context, token string) (verified, error) {
	// A token of ordinary size is looked up in the cache first: its hash
	// costs less than reading its header, and a token seen before needs
	// nothing else. A larger one has its (capped) header read first, so
	// that a hostile token is refused before anything costs in proportion
	// to its size.
	var hash uint64
	hashed := false
	if v.cache != nil && len(token) <= cacheFirstMaxSize {
		hash, hashed = v.cache.hash(token), true
		if e, ok := v.cache.get(hash, token, v.cfg.Now()); ok {
			return verified{claims: e.claims, iss: e.iss, cached: true, ath: e.ath}, nil
		}
	}
	is, kids := v.one, kidIndex{}
	if is != nil {
		kids.snap = is.keys.store.snapshot.Load()
	} else {
		kids.names = &v.multi.kids
	}
	t, err := parseJWS(token, v.cfg.MaxTokenSize, kids)
	if err != nil {
		return verified{iss: is}, err
	}
	if _, ok := jose.LookupAlgorithm(t.alg); !ok { // none, HS*: refused before any hashing
		return verified{iss: is}, tokenErr(CheckAlg, "the token's algorithm is not allowed", nil)
	}
	// Only a token whose kid is known can be in the cache; a large token is
	// hashed for those alone.
	if v.cache != nil && !hashed && (t.knownKID || !t.hasKID) {
		hash, hashed = v.cache.hash(token), true
		if e, ok := v.cache.get(hash, token, v.cfg.Now()); ok {
			return verified{claims: e.claims, iss: e.iss, cached: true, ath: e.ath}, nil
		}
	}
	r, err := v.verifyUncached(ctx, token, &t, is, hash, hashed)
	if te := asTokenError(err); te != nil {
		te.Issuer, te.Alg, te.KID = r.issuerName(), t.alg, t.kid
	}
	return r, err
}

// cacheFirstMaxSize is the largest token looked up in the verified-token
// cache before its header is read: real tokens are smaller, and hashing
// one this size costs a small fraction of a signature check.
const cacheFirstMaxSize = 4 << 10

// verifyUncached checks a token that is not in the cache, timed as
// OpVerify. hash is the token's cache hash, if hashed; it is computed only
// for a token that verified, to cache it.
func (v *Validator) verifyUncached(
	ctx context.Context,
	token string,
	t *jws,
	is *issuer,
	hash uint64,
	hashed bool,
) (r verified, err error) {
	var payload []byte
	if is == nil {
		// Several issuers: iss is read, unverified, only to choose whose
		// keys check the signature. An issuer outside the set is refused
		// here, without any network I/O.
		if payload, err = t.decodePayload(); err != nil {
			return r, err
		}
		if is, err = v.multi.selectIssuer(ctx, t, payload); err != nil {
			return r, err
		}
	}
	r.iss = is
	ctx, end := v.cfg.Observer.Start(ctx, OpVerify, is.cfg.Issuer)
	defer func() { end(err) }()
	if err := is.checkType(t.typ); err != nil {
		return r, err
	}
	key, err := is.checkSignature(ctx, t)
	if err != nil {
		return r, err
	}
	if payload == nil {
		if payload, err = t.decodePayload(); err != nil {
			return r, err
		}
	}
	c, err := decodeClaims(payload)
	if err != nil {
		return r, err
	}
	if err := is.checkClaims(c); err != nil {
		return r, withSubject(err, c.Subject)
	}
	if v.multi != nil {
		if err := v.multi.checkTenant(is, c); err != nil {
			return r, withSubject(err, c.Subject)
		}
		v.multi.kids.add(t.kid)
	}
	c.AdmittedBy = is.cfg.Issuer
	if c.Confirmation.JKT != "" { // its DPoP proofs name its hash
		r.ath = accessTokenHash(token)
	}
	if v.cache != nil {
		if !hashed { // a large token, or its kid arrived with a refresh
			hash = v.cache.hash(token)
		}
		if n := v.cache.put(hash, &cacheEntry{
			token:   token,
			claims:  c,
			iss:     is,
			expires: is.cacheUntil(c),
			alg:     t.alg,
			kid:     t.kid,
			hasKID:  t.hasKID,
			key:     key.key,
			ath:     r.ath,
		}, v.cfg.Now()); n > 0 {
			v.cfg.Observer.Happened(ctx, Event{Kind: EventCacheEvicted, Issuer: is.cfg.Issuer, Count: n})
		}
	}
	r.claims = c
	return r, nil
}

// withSubject records the subject of a token whose signature verified on
// the TokenError that refused it.
func withSubject(err error, sub string) error {
	if te := asTokenError(err); te != nil {
		te.Subject = sub
	}
	return err
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Ready reports whether the Validator is fit to serve: signing keys are
// loaded and are still refreshed. With NewMulti, that is the keys of every
// configured issuer and shared key set, never those of an issuer made from
// an IssuerTemplate: a token may name a tenant that does not exist.
// Failed refreshes keep the cached keys, so once true it stays true until
// Close; after Close it is false, since keys
// are no longer refreshed and a rotation would go unnoticed (Verify still
// checks tokens against the cached keys). Use it for a readiness probe.
func (v *Validator) Ready() bool {
	for _, is := range v.readiness() {
		if !is.keys.usable() {
			return false
		}
	}
	return true
}

// WaitReady blocks until signing keys are loaded (those Ready covers), the Validator is closed,
// or ctx ends; it returns nil exactly when Ready would report true. On
// timeout it returns ctx's error together with the last loading error,
// which names the cause (issuer unreachable, a URL that answered 404 and the
// likely fix, discovery issuer mismatch, no usable key in the set...).
func (v *Validator) WaitReady(ctx context.Context) error {
	for _, is := range v.readiness() {
		if err := is.waitReady(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close stops the background key loading and refresh, waits for it to end,
// and logs that the keys are no longer refreshed; Ready reports false from
// then on. Verify keeps working on the cached keys, without refreshes. Close
// is safe while requests are in flight, and idempotent.
func (v *Validator) Close() error {
	v.closeOnce.Do(func() {
		if v.multi != nil {
			v.multi.close()
		}
		for _, is := range v.issuers() {
			is.keys.close()
		}
	})
	return nil
}

// issuerNamed returns the issuer whose Config.Issuer is name (see
// Claims.AdmittedBy), or nil.
func (v *Validator) issuerNamed(name string) *issuer {
	if v.one != nil {
		return v.one
	}
	for _, is := range v.multi.all() {
		if is.cfg.Issuer == name {
			return is
		}
	}
	return nil
}

// issuers returns the issuers the Validator holds now: the static ones and
// those made from templates so far.
func (v *Validator) issuers() []*issuer {
	if v.one != nil {
		return []*issuer{v.one}
	}
	return v.multi.all()
}

// readiness returns the issuers whose keys decide Ready: the only one, or
// the configured ones of NewMulti.
func (v *Validator) readiness() []*issuer {
	if v.one != nil {
		return []*issuer{v.one}
	}
	return v.multi.configured()
}
