package core

import (
	"errors"
	"sync/atomic"
	"time"
)

// tenantIssuer is an issuer a template made for a tenant: loading its keys
// until loaded is set, then counted toward MaxIssuers.
type tenantIssuer struct {
	tenant   string
	name     string        // its issuer's identifier
	is       *issuer       // set under the template's mu
	loaded   bool          // under the template's mu
	lastUsed atomic.Uint64 // the template's use clock at its last uncached token
}

// make makes the issuer of tenant, if the rate allows: its first key load
// then either loads (keysLoaded) or drops it (keysFailed).
func (t *template) make(tenant string, now time.Time) (*issuer, error) {
	t.mu.Lock()
	is, made, err := t.makeLocked(tenant, now)
	t.mu.Unlock()
	switch {
	case errors.Is(err, errTenantRateLimited):
		t.rateLimited(now)
	case made:
		t.set.log.Info("identsphere: trusting a new tenant's issuer", "issuer", is.cfg.Issuer, "template", t.cfg.Issuer)
	}
	return is, err
}

// makeLocked is make under mu; made is false when the issuer was there.
func (t *template) makeLocked(tenant string, now time.Time) (is *issuer, made bool, err error) {
	if e := t.lookup(tenant); e != nil { // made meanwhile
		return e.is, false, nil
	}
	if t.closed {
		return nil, false, ErrKeysUnavailable
	}
	if !t.limit.AllowN(now, 1) {
		return nil, false, errTenantRateLimited
	}
	cfg, err := t.config(tenant)
	if err != nil {
		return nil, false, tokenErr(CheckIss, "the token's issuer is not trusted", err)
	}
	e := &tenantIssuer{tenant: tenant, name: cfg.Issuer}
	e.lastUsed.Store(t.uses.Add(1))
	// The hooks take mu, held here until e is in the map: they find it.
	e.is = newIssuerWith(t.set.ctx, cfg, t.set.transport, loadHooks{
		loaded: func() { t.keysLoaded(e) },
		failed: func(err error) { t.keysFailed(e, err) },
	})
	e.is.tenant = &tenantOf{name: tenant, claim: t.cfg.TenantClaim, template: t.cfg.Issuer}
	t.store(func(m map[string]*tenantIssuer) { m[tenant] = e })
	return e.is, true, nil
}

// store replaces the map of tenants by a copy that change modified. The
// caller holds mu.
func (t *template) store(change func(map[string]*tenantIssuer)) {
	old := t.tenants.Load()
	next := map[string]*tenantIssuer{}
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	change(next)
	t.tenants.Store(&next)
}

// keysLoaded counts e toward MaxIssuers once its keys loaded, evicting the
// least recently used loaded issuer if that makes one too many. It runs in
// e's key loading step, before e's first keys are visible: e is in the
// map, so Close waits for it.
func (t *template) keysLoaded(e *tenantIssuer) {
	t.mu.Lock()
	if t.closed || t.lookup(e.tenant) != e {
		t.mu.Unlock()
		return
	}
	e.loaded = true
	t.loaded++
	var victim *tenantIssuer
	if t.loaded > t.cfg.MaxIssuers {
		victim = t.leastRecentlyUsed(e)
	}
	if victim != nil {
		t.loaded--
		t.store(func(m map[string]*tenantIssuer) { delete(m, victim.tenant) })
		t.closing.Add(1)
		go func() { // not in e's step: closing waits for victim's own
			defer t.closing.Done()
			victim.is.keys.retire()
		}()
	}
	t.mu.Unlock()
	if victim != nil {
		t.evictedTotal.Add(1)
		ctx := t.set.ctx
		t.set.log.InfoContext(
			ctx,
			"identsphere: an issuer template holds MaxIssuers loaded "+
				"issuers; the least recently used is closed to make room",
			"issuer",
			victim.name,
			"template",
			t.cfg.Issuer,
			"max_issuers",
			t.cfg.MaxIssuers,
			"for",
			e.name,
		)
		t.set.observer.Happened(ctx, Event{Kind: EventTenantEvicted, Issuer: t.cfg.Issuer})
	}
}

// leastRecentlyUsed returns the loaded issuer used least recently, but
// for except. The caller holds mu.
func (t *template) leastRecentlyUsed(except *tenantIssuer) *tenantIssuer {
	var lru *tenantIssuer
	for _, e := range *t.tenants.Load() {
		if e.loaded && e != except && (lru == nil || e.lastUsed.Load() < lru.lastUsed.Load()) {
			lru = e
		}
	}
	return lru
}

// keysFailed drops e, whose first key load failed and whose key source has
// stopped, and remembers its tenant as failed for RetryFailedAfter. It
// runs in e's key loading step.
func (t *template) keysFailed(e *tenantIssuer, err error) {
	now := t.set.now()
	t.mu.Lock()
	if t.closed { // Close closes e, and waits for this step
		t.mu.Unlock()
		return
	}
	t.closing.Add(1) // e leaves the map: Close waits for this instead
	defer t.closing.Done()
	t.failed.add(e.tenant, now, now.Add(t.cfg.RetryFailedAfter))
	if t.lookup(e.tenant) == e {
		t.store(func(m map[string]*tenantIssuer) { delete(m, e.tenant) })
	}
	t.mu.Unlock()
	t.failedTotal.Add(1)
	ctx := t.set.ctx
	t.set.log.WarnContext(
		ctx,
		"identsphere: a tenant's signing keys could not be loaded; its issuer is dropped and its tokens refused (503) "+
			"until it may be tried again",
		"issuer",
		e.name,
		"template",
		t.cfg.Issuer,
		"error",
		err,
		"retry_after",
		t.cfg.RetryFailedAfter,
	)
	t.set.observer.Happened(ctx, Event{Kind: EventTenantFailed, Issuer: t.cfg.Issuer, Err: err})
}

// rateLimited counts a token refused because the rate allowed no new
// issuer, and logs and reports the count at most every rateLimitLogEvery.
func (t *template) rateLimited(now time.Time) {
	t.refusedTotal.Add(1)
	t.refusedMu.Lock()
	t.refusedSince++
	n := t.refusedSince
	due := t.refusedLogged.IsZero() || now.Sub(t.refusedLogged) >= rateLimitLogEvery
	if due {
		t.refusedSince, t.refusedLogged = 0, now
	}
	t.refusedMu.Unlock()
	if !due {
		return
	}
	ctx := t.set.ctx
	t.set.log.WarnContext(
		ctx,
		"identsphere: tokens of new tenants arrive faster than the issuer "+
			"template may make issuers; they are refused (503) meanwhile",
		"template",
		t.cfg.Issuer,
		"refused",
		n,
		"new_issuers_per_second",
		t.cfg.NewIssuersPerSecond,
		"burst",
		t.cfg.NewIssuerBurst,
	)
	t.set.observer.Happened(ctx, Event{Kind: EventTenantRateLimited, Issuer: t.cfg.Issuer, Count: n})
}
