package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// DefaultMaxTemplateIssuers bounds how many issuers one IssuerTemplate
// makes.
const DefaultMaxTemplateIssuers = 100

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
	// first use for the tenants the template allows.
	Templates []IssuerTemplate

	// Shared settings, as in Config.
	MaxTokenSize int
	CacheSize    int
	DisableCache bool
	Logger       *slog.Logger
	Observer     Observer
	Now          func() time.Time
}

// IssuerTemplate trusts the issuers of a multi-tenant provider, such as
// Microsoft Entra ID's "https://login.microsoftonline.com/{tenant}/v2.0".
// A token's iss is matched against Issuer with "{tenant}" standing for one
// path segment; if AllowTenant allows that tenant, an issuer is made from
// Config with the tenant filled in, its keys loaded by discovery as for
// New, and kept for later tokens. The caller decides which tenants are
// trusted; at most MaxIssuers are made, so a hostile token can neither make
// the service fetch keys from arbitrary URLs nor grow its memory without
// bound.
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

	// MaxIssuers bounds how many issuers this template makes. Default
	// DefaultMaxTemplateIssuers. Past it, tokens of new tenants are refused
	// (and logged).
	MaxIssuers int
}

// NewMulti checks mc and starts loading the keys of every static issuer in
// the background; issuers made from templates load theirs on first use. Like
// New, it does no network I/O itself, ctx governs only NewMulti (background
// work lives until Close), and Ready and WaitReady cover every issuer made
// so far.
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
		c.MaxTokenSize, c.CacheSize, c.DisableCache, c.Logger, c.Observer, c.Now = mc.MaxTokenSize, mc.CacheSize, mc.DisableCache, mc.Logger, mc.Observer, mc.Now
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
			errs = append(errs, fmt.Errorf("identsphere: MultiConfig.Issuers[%d]: SkipIssuerCheck cannot be used with several issuers: the issuer is what selects the keys", i))
		}
		cfgs = append(cfgs, c)
	}
	for i, tpl := range mc.Templates {
		t, err := newTemplate(tpl, shared)
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
	base, _ := shared(Config{Issuer: "https://multi.invalid", Audience: []string{"-"}}).withDefaults()
	set.ctx, set.log, set.now = context.WithoutCancel(ctx), base.Logger, base.Now
	set.transport = newKeysTransport()
	for _, c := range cfgs {
		set.add(newIssuer(ctx, c, set.transport))
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
	byIss     map[string]*issuer // static issuers and their aliases; fixed
	templates []*template
	kids      kidNames

	ctx context.Context // for issuers made later: values only
	log *slog.Logger
	now func() time.Time
	// transport is shared by every issuer's key fetches: one connection
	// pool and TLS configuration, not a hundred.
	transport *http.Transport
}

func (s *issuerSet) add(is *issuer) {
	s.byIss[is.cfg.Issuer] = is
	for _, alias := range is.cfg.IssuerAliases {
		s.byIss[alias] = is
	}
}

// all returns every issuer made so far.
func (s *issuerSet) all() []*issuer {
	var out []*issuer
	seen := map[*issuer]bool{}
	for _, is := range s.byIss {
		if !seen[is] {
			seen[is] = true
			out = append(out, is)
		}
	}
	for _, t := range s.templates {
		out = append(out, t.made()...)
	}
	return out
}

// close stops templates from making issuers; the Validator then closes
// every issuer made.
func (s *issuerSet) close() {
	for _, t := range s.templates {
		t.mu.Lock()
		t.closed = true
		t.mu.Unlock()
	}
}

// selectIssuer reads iss from the unverified payload and returns the
// issuer it names, making it from a template if one allows it.
func (s *issuerSet) selectIssuer(ctx context.Context, payload []byte) (*issuer, error) {
	raw, ok := findIssuer(payload)
	if !ok {
		return nil, tokenErr("iss", "the token has no issuer", nil)
	}
	if is := s.byIss[string(raw[1:len(raw)-1])]; is != nil { // no copy on the common path
		return is, nil
	}
	iss, ok := jsonString(raw)
	if !ok {
		return nil, tokenErr("iss", "the token has no issuer", nil)
	}
	if is := s.byIss[iss]; is != nil {
		return is, nil
	}
	for _, t := range s.templates {
		if tenant, ok := t.match(iss); ok {
			return t.issuer(ctx, s, tenant)
		}
	}
	return nil, tokenErr("iss", "the token's issuer is not trusted", nil)
}

// checkTenant checks a template's TenantClaim on verified claims.
func (s *issuerSet) checkTenant(is *issuer, c *Claims) error {
	if is.tenant == nil || is.tenant.claim == "" {
		return nil
	}
	if got, ok := c.stringClaim(is.tenant.claim); !ok || got != is.tenant.name {
		return tokenErr(is.tenant.claim, "the token's "+is.tenant.claim+" claim does not match the tenant of its issuer", nil)
	}
	return nil
}

// findIssuer returns the raw top-level iss of a payload (a JSON string
// value, quotes included, escapes not undone), stopping at it. It only
// selects keys: the whole payload is read strictly (duplicates and all)
// once the signature has verified, and its iss checked against the issuer
// chosen. So members before iss are stepped over without being recorded;
// a payload with an escaped member name, which no issuer writes, is read
// by the strict iterator instead.
func findIssuer(payload []byte) ([]byte, bool) {
	if !utf8.Valid(payload) {
		return nil, false
	}
	s := scanner{data: payload}
	s.skipSpace()
	if !s.consume('{') {
		return nil, false
	}
	for first := true; ; first = false {
		s.skipSpace()
		if !first && !s.consume(',') {
			return nil, false
		}
		s.skipSpace()
		key, escaped, ok := s.string()
		switch {
		case !ok:
			return nil, false
		case escaped:
			return findIssuerStrictly(payload)
		}
		s.skipSpace()
		if !s.consume(':') {
			return nil, false
		}
		s.skipSpace()
		start := s.pos
		if !s.value(1) {
			return nil, false
		}
		if string(key) == "iss" {
			value := payload[start:s.pos]
			if _, ok := rawJSONString(value); ok {
				return value, true
			}
			return nil, false
		}
	}
}

// findIssuerStrictly is findIssuer through the strict iterator.
func findIssuerStrictly(payload []byte) ([]byte, bool) {
	it := newObjectIter(payload, 0)
	for key, value, ok := it.next(); ok; key, value, ok = it.next() {
		if string(key) == "iss" {
			if _, ok := rawJSONString(value); ok {
				return value, true
			}
			return nil, false
		}
	}
	return nil, false
}

// template is an IssuerTemplate in use.
type template struct {
	cfg            IssuerTemplate
	prefix, suffix string
	shared         func(Config) Config

	mu     sync.Mutex
	issues atomic.Pointer[map[string]*issuer] // tenant → issuer, replaced whole
	full   bool                               // MaxIssuers reached (logged once)
	closed bool
}

// tenantOf is set on issuers made from a template.
type tenantOf struct {
	name  string
	claim string
}

func newTemplate(tpl IssuerTemplate, shared func(Config) Config) (*template, error) {
	prefix, suffix, ok := strings.Cut(tpl.Issuer, "{tenant}")
	switch {
	case !ok || strings.Contains(suffix, "{tenant}"):
		return nil, errors.New(`identsphere: IssuerTemplate.Issuer must hold "{tenant}" exactly once`)
	case tpl.AllowTenant == nil:
		return nil, errors.New("identsphere: IssuerTemplate.AllowTenant is required: the caller decides which tenants are trusted")
	case tpl.MaxIssuers < 0:
		return nil, errors.New("identsphere: IssuerTemplate.MaxIssuers must not be negative")
	}
	tpl.MaxIssuers = positiveOr(tpl.MaxIssuers, DefaultMaxTemplateIssuers)
	t := &template{cfg: tpl, prefix: prefix, suffix: suffix, shared: shared}
	// The template's own configuration must be valid for some tenant.
	if _, err := t.config("tenant"); err != nil {
		return nil, err
	}
	return t, nil
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
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') || s == "." || s == ".." {
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

func (t *template) made() []*issuer {
	m := t.issues.Load()
	if m == nil {
		return nil
	}
	out := make([]*issuer, 0, len(*m))
	for _, is := range *m {
		out = append(out, is)
	}
	return out
}

// issuer returns the issuer of tenant, making it if the template allows
// the tenant and has room. A newly made issuer's first key load is waited
// for at most UnknownKIDWait; until its keys arrive, its tokens get 503.
func (t *template) issuer(ctx context.Context, s *issuerSet, tenant string) (*issuer, error) {
	if m := t.issues.Load(); m != nil {
		if is := (*m)[tenant]; is != nil {
			return is, nil
		}
	}
	if !t.cfg.AllowTenant(tenant) {
		return nil, tokenErr("iss", "the token's tenant is not trusted", nil)
	}
	t.mu.Lock()
	old := t.issues.Load()
	if old != nil && (*old)[tenant] != nil {
		t.mu.Unlock()
		return (*old)[tenant], nil
	}
	if t.closed {
		t.mu.Unlock()
		return nil, ErrKeysUnavailable
	}
	if old != nil && len(*old) >= t.cfg.MaxIssuers {
		if !t.full {
			t.full = true
			s.log.Error("identsphere: an issuer template made as many issuers as it may; tokens of further tenants are refused", "template", t.cfg.Issuer, "max_issuers", t.cfg.MaxIssuers)
		}
		t.mu.Unlock()
		return nil, tokenErr("iss", "the token's tenant is not trusted", nil)
	}
	cfg, err := t.config(tenant)
	if err != nil {
		t.mu.Unlock()
		return nil, tokenErr("iss", "the token's issuer is not trusted", err)
	}
	is := newIssuer(s.ctx, cfg, s.transport)
	is.tenant = &tenantOf{name: tenant, claim: t.cfg.TenantClaim}
	next := map[string]*issuer{tenant: is}
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	t.issues.Store(&next)
	t.mu.Unlock()
	s.log.Info("identsphere: trusting a new tenant's issuer", "issuer", cfg.Issuer)

	wait, cancel := context.WithTimeout(ctx, cfg.UnknownKIDWait)
	defer cancel()
	select {
	case <-is.keys.ready:
	case <-wait.Done():
	}
	return is, nil
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
