package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/identsphere/identsphere-go/internal/strictjson"
)

// maxKIDNames bounds the kids a multi-issuer Validator remembers for its
// cache lookups.
const maxKIDNames = 4096

// MultiConfig configures a Validator that trusts several issuers: a
// migration between providers, one provider per region, staging beside
// production, or a multi-tenant provider (see IssuerTemplate).
type MultiConfig struct {
	// Issuers are the trusted issuers, each with its own audiences, keys,
	// profile, claim checks and rules, exactly as for New. Their Issuer
	// (and IssuerAliases) must be distinct. Their MaxTokenSize, CacheSize,
	// DisableCache, Logger, Observer and Now are ignored: the ones below
	// apply.
	Issuers []Config

	// Templates trust issuers whose identifier holds a tenant, made on
	// first use for the tenants the template allows. Those issuers never
	// decide Ready: a token naming a tenant that does not exist must not
	// take the service out of its load balancer. See IssuerTemplate for
	// what a flood of such tokens may cost.
	Templates []IssuerTemplate

	// Shared settings, as in Config.
	MaxTokenSize int
	CacheSize    int
	DisableCache bool
	Logger       *slog.Logger
	Observer     Observer
	Now          func() time.Time
}

// NewMulti checks mc and starts loading the keys of every configured issuer
// (and of every template's SharedKeysURL) in the background; issuers made
// from templates load theirs on first use. Like New, it does no network I/O
// itself, and ctx governs only NewMulti (background work lives until
// Close). Ready and WaitReady cover the configured issuers and shared key
// sets only, never an issuer made from a template; Status lists both, the
// latter marked with their template.
//
// Verify selects the issuer by the token's iss, read before the signature
// is checked but used only to choose whose keys check it; every check then
// runs against that issuer. A token whose iss is outside the set is refused
// at once, without any network I/O.
func NewMulti(ctx context.Context, mc MultiConfig) (*Validator, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("identsphere: NewMulti: the context is already done: %w", err)
	}
	if len(mc.Issuers) == 0 && len(mc.Templates) == 0 {
		return nil, errors.New("identsphere: MultiConfig needs at least one issuer or template")
	}
	shared := func(c Config) Config {
		c.MaxTokenSize, c.CacheSize, c.DisableCache = mc.MaxTokenSize, mc.CacheSize, mc.DisableCache
		c.Logger, c.Observer, c.Now = mc.Logger, mc.Observer, mc.Now
		return c
	}
	set := &issuerSet{byIss: map[string]*issuer{}}
	var errs []error
	var cfgs []Config
	for i, c := range mc.Issuers {
		c, err := shared(c).withDefaults()
		if err != nil {
			errs = append(errs, fmt.Errorf("MultiConfig.Issuers[%d]: %w", i, err))
			continue
		}
		if c.SkipIssuerCheck {
			errs = append(
				errs,
				fmt.Errorf(
					"identsphere: MultiConfig.Issuers[%d]: SkipIssuerCheck cannot be used with several issuers: the "+
						"issuer is what selects the keys",
					i,
				),
			)
		}
		cfgs = append(cfgs, c)
	}
	for i, tpl := range mc.Templates {
		t, err := newTemplate(ctx, tpl, shared)
		if err != nil {
			errs = append(errs, fmt.Errorf("MultiConfig.Templates[%d]: %w", i, err))
			continue
		}
		set.templates = append(set.templates, t)
	}
	seen := map[string]bool{}
	for _, c := range cfgs {
		for _, iss := range append([]string{c.Issuer}, c.IssuerAliases...) {
			if seen[iss] {
				errs = append(errs, fmt.Errorf("identsphere: MultiConfig: issuer %q appears twice", iss))
			}
			seen[iss] = true
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	base := shared(Config{}).filled() // the settings the issuers share; no issuer of its own
	set.ctx, set.log, set.observer, set.now = context.WithoutCancel(ctx), base.Logger, base.Observer, base.Now
	set.transport = newKeysTransport()
	for _, c := range cfgs {
		set.add(newIssuer(ctx, c, set.transport))
	}
	for _, t := range set.templates {
		t.start(set)
	}
	v := &Validator{cfg: base, multi: set}
	if !base.DisableCache {
		v.cache = newTokenCache(base.CacheSize)
	}
	return v, nil
}

// issuerSet is the issuers of a multi-issuer Validator, by iss. Reads take
// no lock: the map is replaced whole when a template makes an issuer.
type issuerSet struct {
	byIss     map[string]*issuer // configured issuers and their aliases; fixed
	static    []*issuer          // the configured issuers, in order
	templates []*template
	kids      kidNames

	ctx      context.Context // for issuers made later: values only
	log      *slog.Logger
	observer Observer
	now      func() time.Time
	// transport is shared by every issuer's key fetches: one connection
	// pool and TLS configuration, not a hundred.
	transport *http.Transport
}

func (s *issuerSet) add(is *issuer) {
	s.static = append(s.static, is)
	s.byIss[is.cfg.Issuer] = is
	for _, alias := range is.cfg.IssuerAliases {
		s.byIss[alias] = is
	}
}

// configured returns the issuers that decide readiness: the configured
// ones and the templates' shared key sets.
func (s *issuerSet) configured() []*issuer {
	out := slices.Clone(s.static)
	for _, t := range s.templates {
		if t.sharedKeys != nil {
			out = append(out, t.sharedKeys)
		}
	}
	return out
}

// all returns every issuer held now: the configured ones, then those made
// from templates.
func (s *issuerSet) all() []*issuer {
	out := s.configured()
	for _, t := range s.templates {
		out = append(out, t.made()...)
	}
	return out
}

// close stops templates from making issuers and waits for those they
// evicted to close; the Validator then closes every issuer held.
func (s *issuerSet) close() {
	for _, t := range s.templates {
		t.close()
	}
}

// selectIssuer reads iss from the unverified payload of t and returns the
// issuer it names, making it from a template if one allows it (see
// template.issuer).
func (s *issuerSet) selectIssuer(ctx context.Context, t *jws, payload []byte) (*issuer, error) {
	// Read before the signature is checked, only to choose whose keys
	// check it: the lean mode (strictjson.Find) steps over the members
	// before iss without recording them; the whole payload is read
	// strictly once the signature has verified, and its iss checked
	// against the issuer chosen.
	raw, ok := strictjson.Find(payload, "iss")
	if _, isString := strictjson.RawString(raw); !ok || !isString {
		return nil, tokenErr(CheckIss, "the token has no issuer", nil)
	}
	if is := s.byIss[string(raw[1:len(raw)-1])]; is != nil { // no copy on the common path
		return is, nil
	}
	iss, ok := strictjson.String(raw)
	if !ok {
		return nil, tokenErr(CheckIss, "the token has no issuer", nil)
	}
	if is := s.byIss[iss]; is != nil {
		return is, nil
	}
	for _, tpl := range s.templates {
		if tenant, ok := tpl.match(iss); ok {
			return tpl.issuer(ctx, t, tenant)
		}
	}
	return nil, tokenErr(CheckIss, "the token's issuer is not trusted", nil)
}

// checkTenant checks a template's TenantClaim on verified claims.
func (s *issuerSet) checkTenant(is *issuer, c *Claims) error {
	if is.tenant == nil || is.tenant.claim == "" {
		return nil
	}
	if got, ok := c.stringClaim(is.tenant.claim); !ok || got != is.tenant.name {
		return tokenErr(
			CheckTenant,
			"the token's "+is.tenant.claim+" claim does not match the tenant of its issuer",
			nil,
		)
	}
	return nil
}

// kidNames remembers the kids of tokens a multi-issuer Validator verified,
// so that the header of a token seen again is read without allocating and
// its digest is taken only when it may be in the cache. Reads take no lock;
// the map is replaced whole on the rare insert, and bounded.
type kidNames struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]string]
}

func (n *kidNames) add(kid string) {
	if kid == "" {
		return
	}
	if m := n.m.Load(); m != nil {
		if _, ok := (*m)[kid]; ok {
			return
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	old := n.m.Load()
	if old != nil && len(*old) >= maxKIDNames {
		return
	}
	next := map[string]string{kid: kid}
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	n.m.Store(&next)
}
