package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// The defaults of an IssuerTemplate's bounds.
const (
	// DefaultMaxTemplateIssuers bounds how many issuers with loaded keys
	// one IssuerTemplate holds.
	DefaultMaxTemplateIssuers = 100
	// DefaultNewIssuersPerSecond is how many issuers a template makes per
	// second on average: each costs the provider at most two requests.
	DefaultNewIssuersPerSecond = 1.0
	// DefaultNewIssuerBurst is how many issuers a template may make at
	// once, beyond the average.
	DefaultNewIssuerBurst = 10
	// DefaultRetryFailedAfter is how long a tenant whose keys could not be
	// loaded is refused before it is tried again.
	DefaultRetryFailedAfter = time.Minute
	// DefaultMaxFailedTenants bounds how many failed tenants a template
	// remembers.
	DefaultMaxFailedTenants = 1000
)

// rateLimitLogEvery is the least time between two log records (and
// EventTenantRateLimited events) of one template's rate-limited tenants.
const rateLimitLogEvery = 10 * time.Second

// Refusals of tenants a template cannot serve now. Both match
// ErrKeysUnavailable: 503 temporarily_unavailable with Retry-After, since
// the tenant may be real (a provider outage, a burst of new customers),
// and the token is refused either way: fail closed.
var (
	errTenantFailed = fmt.Errorf(
		"%w: the keys of the token's tenant could not be loaded lately",
		ErrKeysUnavailable,
	)
	errTenantRateLimited = fmt.Errorf("%w: too many new tenants at once", ErrKeysUnavailable)
)

// IssuerTemplate trusts the issuers of a multi-tenant provider, such as
// Microsoft Entra ID's "https://login.microsoftonline.com/{tenant}/v2.0".
// A token's iss is matched against Issuer with "{tenant}" standing for one
// path segment; if AllowTenant allows that tenant, an issuer is made from
// Config with the tenant filled in, its keys loaded by discovery as for
// New, and kept for later tokens. The caller decides which tenants are
// trusted, so a hostile token can never make the service fetch keys from
// a URL of its choosing.
//
// AllowTenant may admit tenants that do not exist (any GUID, a customer
// whose tenant was deleted), and their tokens come unauthenticated. The
// template bounds what they cost, per replica:
//
//   - Readiness: issuers made from a template never decide Ready or
//     WaitReady; a junk tenant cannot take the service out of its load
//     balancer.
//   - Provider requests: at most NewIssuersPerSecond issuers are made per
//     second on average (NewIssuerBurst at once), each costing at most two
//     requests (discovery, then keys; one with Config.JWKSURL), each
//     through at most five redirects if the provider redirects. By default
//     a flood of tokens of new tenants costs the provider at most 2
//     requests per second, 20 at once. Past the limit, a token of a tenant
//     that has no issuer yet is refused with ErrKeysUnavailable (503
//     temporarily_unavailable, Retry-After), and the refusals are logged
//     and reported (EventTenantRateLimited) at most every 10 seconds.
//   - No polling: an issuer made from a template tries its first key load
//     once. If it fails, the issuer is dropped at once (nothing of it runs
//     any more), logged and reported (EventTenantFailed), and its tenant is
//     remembered as failed for RetryFailedAfter (default a minute), among
//     at most MaxFailedTenants (default 1000; the oldest is forgotten
//     first). Until then its tokens are refused with ErrKeysUnavailable
//     (503, Retry-After) by a map lookup, without any network I/O.
//   - Memory and room: only issuers whose keys loaded count toward
//     MaxIssuers (default 100); those loading are at most NewIssuerBurst
//     plus what the rate adds while they load. When a new tenant's keys
//     load and MaxIssuers are held already, the issuer least recently used
//     (by an uncached token) is closed and forgotten (logged,
//     EventTenantEvicted); its tenant's next uncached token makes it again.
//     So a tenant that never loaded keys never evicts or blocks one that
//     did, and a real tenant is never locked out by others: operators
//     expect a cache, not a door that shuts.
//
// A flood of tokens of new junk tenants still uses the rate that new real
// tenants need: while it lasts, a real tenant seen for the first time may
// get 503 (its client retries). Where the provider signs every tenant's
// tokens with one key set, set SharedKeysURL: a token whose signature that
// set does not verify then never makes an issuer at all, so forged tokens
// cost no request and take no share of the rate.
type IssuerTemplate struct {
	// Issuer holds "{tenant}" exactly once, e.g.
	// "https://sts.windows.net/{tenant}/" (Entra v1).
	Issuer string

	// Config is the configuration of each issuer made: Issuer is set from
	// the template; "{tenant}" in JWKSURL and IssuerAliases is filled in.
	Config Config

	// AllowTenant reports whether a tenant is trusted. Required. It sees
	// only tenants of at most 128 letters, digits, '-', '.' and '_'.
	AllowTenant func(tenant string) bool

	// TenantClaim names a claim that must equal the tenant, e.g. "tid" for
	// Entra ID, so that a token of one tenant cannot pose as another's.
	TenantClaim string

	// SharedKeysURL is the URL of a key set (JWKS) that signs the tokens of
	// every tenant, such as Entra ID's
	// "https://login.microsoftonline.com/common/discovery/v2.0/keys". When
	// set, a token of a tenant that has no issuer yet must verify against
	// it before one is made: a forged or unsigned token never causes a
	// per-tenant fetch. The set is loaded and refreshed like a configured
	// issuer's keys (with Config's settings), and decides Ready like one.
	SharedKeysURL string

	// MaxIssuers bounds how many issuers with loaded keys this template
	// holds. Default DefaultMaxTemplateIssuers. Past it, the least recently
	// used is evicted to make room.
	MaxIssuers int

	// NewIssuersPerSecond is how many issuers the template makes per
	// second on average, and so, doubled, the requests per second a flood
	// of new tenants may cost the provider. Default
	// DefaultNewIssuersPerSecond (1). Raise it for a service that meets
	// many real tenants at once (a cold start behind a busy fleet).
	NewIssuersPerSecond float64

	// NewIssuerBurst is how many issuers the template may make at once.
	// Default DefaultNewIssuerBurst (10).
	NewIssuerBurst int

	// RetryFailedAfter is how long a tenant whose first key load failed is
	// refused before it is tried again. Default DefaultRetryFailedAfter (a
	// minute).
	RetryFailedAfter time.Duration

	// MaxFailedTenants bounds how many failed tenants are remembered.
	// Default DefaultMaxFailedTenants (1000); past it the oldest is
	// forgotten, and tried again (within the rate) on its next token.
	MaxFailedTenants int
}

// template is an IssuerTemplate in use.
type template struct {
	cfg            IssuerTemplate
	prefix, suffix string
	shared         func(Config) Config
	sharedKeys     *issuer // the SharedKeysURL's keys, or nil
	set            *issuerSet
	limit          *rate.Limiter // new issuers
	failed         *failedTenants

	mu      sync.Mutex
	tenants atomic.Pointer[map[string]*tenantIssuer] // replaced whole, under mu
	loaded  int                                      // entries whose keys loaded; under mu
	closed  bool                                     // under mu
	closing sync.WaitGroup                           // evicted issuers closing, failures reported; Add under mu

	uses atomic.Uint64 // a logical clock for recent use

	refusedMu     sync.Mutex
	refusedSince  int       // rate-limited tokens not logged yet
	refusedLogged time.Time // when they were last logged
	refusedTotal  atomic.Uint64
	failedTotal   atomic.Uint64
	evictedTotal  atomic.Uint64
}

// tenantOf is set on issuers made from a template.
type tenantOf struct {
	name     string
	claim    string
	template string // the template's Issuer, for Status
}

func newTemplate(ctx context.Context, tpl IssuerTemplate, shared func(Config) Config) (*template, error) {
	prefix, suffix, ok := strings.Cut(tpl.Issuer, "{tenant}")
	switch {
	case !ok || strings.Contains(suffix, "{tenant}"):
		return nil, errors.New(`identsphere: IssuerTemplate.Issuer must hold "{tenant}" exactly once`)
	case tpl.AllowTenant == nil:
		return nil, errors.New(
			"identsphere: IssuerTemplate.AllowTenant is required: the caller decides which tenants are trusted",
		)
	case tpl.MaxIssuers < 0,
		tpl.NewIssuersPerSecond < 0,
		tpl.NewIssuerBurst < 0,
		tpl.RetryFailedAfter < 0,
		tpl.MaxFailedTenants < 0:
		return nil, errors.New(
			"identsphere: IssuerTemplate: MaxIssuers, NewIssuersPerSecond, NewIssuerBurst, RetryFailedAfter and " +
				"MaxFailedTenants must not be negative",
		)
	case strings.Contains(tpl.SharedKeysURL, "{tenant}"):
		return nil, errors.New(
			`identsphere: IssuerTemplate.SharedKeysURL is one key set for every tenant: it cannot hold "{tenant}"`,
		)
	}
	tpl.MaxIssuers = positiveOr(tpl.MaxIssuers, DefaultMaxTemplateIssuers)
	if tpl.NewIssuersPerSecond == 0 {
		tpl.NewIssuersPerSecond = DefaultNewIssuersPerSecond
	}
	tpl.NewIssuerBurst = positiveOr(tpl.NewIssuerBurst, DefaultNewIssuerBurst)
	tpl.RetryFailedAfter = positiveOr(tpl.RetryFailedAfter, DefaultRetryFailedAfter)
	tpl.MaxFailedTenants = positiveOr(tpl.MaxFailedTenants, DefaultMaxFailedTenants)
	t := &template{
		cfg: tpl, prefix: prefix, suffix: suffix, shared: shared,
		limit:  rate.NewLimiter(rate.Limit(tpl.NewIssuersPerSecond), tpl.NewIssuerBurst),
		failed: newFailedTenants(tpl.MaxFailedTenants),
	}
	// The template's own configuration must be valid for some tenant.
	if _, err := t.config("tenant"); err != nil {
		return nil, err
	}
	if tpl.SharedKeysURL != "" {
		if _, err := t.sharedKeysConfig(); err != nil {
			return nil, fmt.Errorf("identsphere: IssuerTemplate.SharedKeysURL: %w", err)
		}
	}
	return t, nil
}

// start ties the template to its set, and starts loading its shared keys.
func (t *template) start(s *issuerSet) {
	t.set = s
	if t.cfg.SharedKeysURL != "" {
		cfg, _ := t.sharedKeysConfig() // checked by newTemplate
		t.sharedKeys = newIssuer(s.ctx, cfg, s.transport)
	}
}

// sharedKeysConfig is the configuration of the SharedKeysURL's key source:
// the template's, named by the template's Issuer.
func (t *template) sharedKeysConfig() (Config, error) {
	c := t.shared(t.cfg.Config)
	c.Issuer, c.JWKSURL, c.IssuerAliases = t.cfg.Issuer, t.cfg.SharedKeysURL, nil
	return c.withDefaults()
}

// match returns the tenant of an iss the template describes.
func (t *template) match(iss string) (string, bool) {
	rest, ok := strings.CutPrefix(iss, t.prefix)
	if !ok {
		return "", false
	}
	tenant, ok := strings.CutSuffix(rest, t.suffix)
	return tenant, ok && validTenant(tenant)
}

// validTenant keeps tenants to one short path segment of safe characters.
func validTenant(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letterOrDigit := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !(letterOrDigit || c == '-' || c == '.' || c == '_') || s == "." || s == ".." {
			return false
		}
	}
	return true
}

func (t *template) config(tenant string) (Config, error) {
	c := t.shared(t.cfg.Config)
	fill := func(s string) string { return strings.ReplaceAll(s, "{tenant}", tenant) }
	c.Issuer = t.prefix + tenant + t.suffix
	c.JWKSURL = fill(c.JWKSURL)
	aliases := make([]string, len(c.IssuerAliases))
	for i, a := range c.IssuerAliases {
		aliases[i] = fill(a)
	}
	c.IssuerAliases = aliases
	return c.withDefaults()
}

// issuer returns the issuer of tenant for token tok, making it if the
// template allows the tenant, the tenant has not failed lately, the shared
// keys (if any) verify tok, and the rate allows a new issuer. A new or
// loading issuer's first key load is waited for at most UnknownKIDWait;
// until its keys arrive, its tokens get 503.
func (t *template) issuer(ctx context.Context, tok *jws, tenant string) (*issuer, error) {
	if e := t.lookup(tenant); e != nil {
		e.lastUsed.Store(t.uses.Add(1))
		return t.await(ctx, e.is)
	}
	if !t.cfg.AllowTenant(tenant) {
		return nil, tokenErr(CheckIss, "the token's tenant is not trusted", nil)
	}
	now := t.set.now()
	if t.failed.has(tenant, now) {
		return nil, errTenantFailed
	}
	if t.sharedKeys != nil {
		if _, err := t.sharedKeys.checkSignature(ctx, tok); err != nil {
			return nil, err
		}
	}
	is, err := t.make(tenant, now)
	if err != nil {
		return nil, err
	}
	return t.await(ctx, is)
}

// await waits at most UnknownKIDWait for the first key load of is.
func (t *template) await(ctx context.Context, is *issuer) (*issuer, error) {
	if is.keys.keys.Load() == nil {
		wait, cancel := context.WithTimeout(ctx, is.cfg.UnknownKIDWait)
		defer cancel()
		select {
		case <-is.keys.ready:
		case <-is.keys.closed:
		case <-wait.Done():
		}
		if is.keys.keys.Load() == nil && is.keys.isClosed.Load() {
			return nil, errTenantFailed // dropped: its first load failed
		}
	}
	return is, nil
}

// lookup returns the tenant's issuer, loaded or loading, or nil.
func (t *template) lookup(tenant string) *tenantIssuer {
	if m := t.tenants.Load(); m != nil {
		return (*m)[tenant]
	}
	return nil
}

// made returns the issuers the template holds now, loaded or loading.
func (t *template) made() []*issuer {
	m := t.tenants.Load()
	if m == nil {
		return nil
	}
	out := make([]*issuer, 0, len(*m))
	for _, e := range *m {
		out = append(out, e.is)
	}
	return out
}

// close stops the template from making issuers, and waits for the issuers
// it evicted to close and its failed issuers to be reported.
func (t *template) close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.closing.Wait()
}

// status reports what the template holds and has refused.
func (t *template) status() TemplateStatus {
	st := TemplateStatus{
		Issuer:        t.cfg.Issuer,
		FailedTenants: t.failed.len(),
		Failed:        t.failedTotal.Load(),
		RateLimited:   t.refusedTotal.Load(),
		Evicted:       t.evictedTotal.Load(),
	}
	t.mu.Lock()
	st.Loaded = t.loaded
	if m := t.tenants.Load(); m != nil {
		st.Loading = len(*m) - t.loaded
	}
	t.mu.Unlock()
	return st
}
