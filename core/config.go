package core

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultLeeway                    = 30 * time.Second
	MaxLeeway                        = 60 * time.Second
	DefaultHTTPTimeout               = 5 * time.Second
	DefaultRefreshInterval           = 5 * time.Minute
	DefaultUnknownKIDRefreshInterval = 5 * time.Second
	DefaultUnknownKIDWait            = time.Second
	DefaultMaxResponseBytes          = 1 << 20
)

// Config configures a [Validator]. Issuer and Audience are required; every
// other field has a safe default, and every check that can be turned off
// has an explicit Skip field rather than a silent zero value.
type Config struct {
	// Issuer is the issuer identifier, such as "https://id.example.com".
	// Tokens must carry it in iss exactly. Keys are found by OIDC discovery
	// at Issuer + "/.well-known/openid-configuration", whose issuer must
	// equal this value exactly; when discovery answers 404 the keys are read
	// from Issuer + "/.well-known/jwks.json".
	Issuer string

	// JWKSURL, when set, is where the keys are read; discovery is skipped.
	JWKSURL string

	// Audience lists the accepted audiences: a token's aud must contain at
	// least one of them. Required unless SkipAudienceCheck is set. Values
	// are compared exactly, except an audience given as an http(s) URL (a
	// resource indicator, RFC 8707, such as an MCP server's URL), which
	// also accepts the same resource spelled otherwise: compared in
	// canonical form (see CanonicalResource: scheme and host in any case,
	// the default port written or not, "https://api.example.com/" the same
	// as "https://api.example.com"; a path's trailing slash matters).
	// Such a URL with a fragment or credentials is refused.
	Audience []string

	// SkipAudienceCheck accepts tokens for any audience. Only for an issuer
	// that mints tokens for this service alone.
	SkipAudienceCheck bool

	// SkipIssuerCheck accepts any iss. It needs JWKSURL, since there is no
	// issuer to discover from.
	SkipIssuerCheck bool

	// AllowInsecureHTTP allows http:// issuer and JWKS URLs on hosts other
	// than loopback. Keys fetched over plain HTTP can be replaced by anyone
	// on the path, so this is for closed test networks only.
	AllowInsecureHTTP bool

	// Algorithms is the allow-list of JWS algorithms. Default: the
	// asymmetric algorithms the issuer's discovery document advertises, else
	// RS256, ES256 and EdDSA. "none" and HS* are never allowed.
	Algorithms []string

	// Leeway is the clock skew tolerated on exp, nbf and iat. Default 30s,
	// at most 60s.
	Leeway time.Duration

	// MaxTokenAge, when set, refuses tokens issued longer ago than this,
	// even if their exp is later: a cheap bound on how long a token keeps
	// working after its user logs out or is disabled. Tokens without iat
	// are then refused, since their age cannot be bounded.
	MaxTokenAge time.Duration

	// Revocation, when set, is consulted on every request after the token
	// is verified (cached or not): see RevocationChecker and Denylist.
	Revocation RevocationChecker

	// MaxTokenSize caps a token's length in bytes before any parsing.
	// Default DefaultMaxTokenSize (16 KiB).
	MaxTokenSize int

	// CacheSize is how many verified tokens are remembered, so that a token
	// seen again skips parsing and the signature check until it expires.
	// Default DefaultCacheSize. See DisableCache.
	CacheSize int

	// DisableCache verifies every token in full on every request.
	DisableCache bool

	// RequireVerifiedEmail refuses tokens whose email_verified claim is not
	// the JSON boolean true (403 forbidden).
	RequireVerifiedEmail bool

	// Profile says which kind of JWT is accepted. Default AccessTokens;
	// RFC9068AccessTokens so that an ID token can never pass as an access
	// token; IDTokens to verify OpenID Connect ID tokens instead.
	Profile TokenProfile

	// AuthorizedParties, under Profile IDTokens only, are the other clients
	// whose ID tokens this service trusts: a token's azp (required when its
	// aud has several values) must be the client id in Audience or one of
	// these. Default: none, so azp must be the client id itself. It is for
	// tokens one client obtains for another. With Dex's cross-client trust,
	// client orders-web asks for a token for orders-api (a static client
	// that lists orders-web in trustedPeers): the token has aud
	// [orders-api orders-web] and azp orders-web, so orders-api sets
	// Audience [orders-api] and AuthorizedParties [orders-web]. With
	// Zitadel's project audiences, every application's ID token carries the
	// project id in aud and the application's client id in azp: an API of
	// the project sets Audience to the project id and AuthorizedParties to
	// the applications it serves. Each party listed can present its users'
	// ID tokens here, so list only clients you trust, never to silence an
	// azp refusal (the refusal log shows the azp it found).
	AuthorizedParties []string

	// ProfileSetting is how this service's operators set Profile, for the
	// refusal log: a token refused for its kind (an ID token under
	// AccessTokens, an access token under IDTokens, a token without typ
	// at+jwt under RFC9068AccessTokens) is logged, once per
	// RefusalLogWindow, with the setting that accepts that kind. Default
	// "Config.Profile", logged as Config.Profile=core.IDTokens; a service
	// configured from its environment names its variable, such as
	// "IDENTSPHERE_TOKEN_PROFILE", and the profile is then logged by its
	// text name (IDENTSPHERE_TOKEN_PROFILE=id: see TokenProfile.MarshalText).
	// The client is told the token's kind, never the setting.
	ProfileSetting string

	// IssuerAliases are other exact iss values the issuer puts in its
	// tokens, such as "accounts.google.com" beside
	// "https://accounts.google.com". Keys still come from Issuer.
	IssuerAliases []string

	// AudienceFallback names the claim read as the audience when a token
	// has no aud at all: "client_id" for AWS Cognito access tokens, "azp"
	// for Keycloak without an audience mapper. Its value must then be one
	// of Audience. Empty (the default): a token without aud is refused.
	AudienceFallback string

	// RequiredClaims are top-level claims every token must carry with
	// exactly these string values, such as {"token_use": "access"} for AWS
	// Cognito or {"typ": "Bearer"} for Keycloak: the way a provider marks
	// the kind of token when its header does not. A token without them is
	// invalid (401), checked once per token.
	RequiredClaims map[string]string

	// Rules are application rules run, in order, on every valid token after
	// the built-in checks. Per-route rules belong to the adapters instead.
	Rules []Rule

	// HTTPClient fetches discovery and keys. Default: a client with
	// HTTPTimeout, no keep-alives, and no redirects that change scheme.
	// Either way, responses are capped at MaxResponseBytes and redirects
	// that change scheme are refused.
	HTTPClient *http.Client

	// HTTPTimeout bounds one discovery or JWKS request. Default 5s.
	HTTPTimeout time.Duration

	// RefreshInterval is how often the keys are fetched again. Default 5m.
	RefreshInterval time.Duration

	// UnknownKIDRefreshInterval is the least time between two refreshes
	// triggered by tokens with an unknown kid, so that junk tokens cannot
	// flood the issuer, yet a newly published key is usable within seconds.
	// Default 5s.
	UnknownKIDRefreshInterval time.Duration

	// UnknownKIDWait is the longest a request with an unknown kid waits for
	// such a refresh. Default 1s. Other requests never wait. The refresh
	// itself may take up to HTTPTimeout, in the background: its keys serve
	// the requests that follow.
	UnknownKIDWait time.Duration

	// MaxResponseBytes caps discovery and JWKS responses. Default 1 MiB.
	MaxResponseBytes int64

	// Logger receives key-loading events and, through the Authenticators
	// over this Validator, one record per refused request (rate-limited per
	// check). Default slog.Default(). Tokens and secrets are never logged.
	Logger *slog.Logger

	// Observer receives every decision and key event, for metrics and
	// traces (see package otelauth). Default: none.
	Observer Observer

	// Now returns the current time. Default time.Now; set it in tests.
	Now func() time.Time
}

// withDefaults checks c and returns a copy with every default filled in.
func (c Config) withDefaults() (Config, error) {
	return c.filled(), c.check()
}

// check reports every mistake in c, joined.
func (c Config) check() error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf("identsphere: "+format, args...)) }

	if c.Issuer == "" && !c.SkipIssuerCheck {
		fail("Config.Issuer is required (or set SkipIssuerCheck with JWKSURL)")
	}
	if c.Issuer == "" && c.JWKSURL == "" {
		fail("Config.JWKSURL is required when there is no Issuer to discover from")
	}
	if c.Issuer != "" {
		if err := checkURL(c.Issuer, c.AllowInsecureHTTP); err != nil {
			fail("Config.Issuer: %v", err)
		}
	}
	if c.JWKSURL != "" {
		if err := checkURL(c.JWKSURL, c.AllowInsecureHTTP); err != nil {
			fail("Config.JWKSURL: %v", err)
		}
	}
	if len(c.Audience) == 0 && !c.SkipAudienceCheck {
		fail("Config.Audience is required (or set SkipAudienceCheck)")
	}
	if slices.Contains(c.Audience, "") {
		fail("Config.Audience holds an empty string")
	}
	for _, aud := range c.Audience {
		if _, err := CanonicalResource(aud); isResourceURL(aud) && err != nil {
			fail("Config.Audience %q: %v", aud, err)
		}
	}
	if err := checkAlgorithms(c.Algorithms); err != nil {
		errs = append(errs, err)
	}
	if c.Leeway < 0 || c.Leeway > MaxLeeway {
		fail("Config.Leeway must be between 0 and %v", MaxLeeway)
	}
	durations := []time.Duration{
		c.MaxTokenAge, c.HTTPTimeout, c.RefreshInterval, c.UnknownKIDRefreshInterval, c.UnknownKIDWait,
	}
	for _, d := range durations {
		if d < 0 {
			fail("durations in Config must not be negative")
		}
	}
	if err := c.checkProfile(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// filled returns a copy of c with every default filled in, and the slices
// and maps it holds copied, without checking it: NewMulti takes the shared
// settings (logger, clock, observer, cache) of a Validator this way.
func (c Config) filled() Config {
	if c.Leeway == 0 {
		c.Leeway = DefaultLeeway
	}
	c.MaxTokenSize = positiveOr(c.MaxTokenSize, DefaultMaxTokenSize)
	c.CacheSize = positiveOr(c.CacheSize, DefaultCacheSize)
	c.MaxResponseBytes = positiveOr(c.MaxResponseBytes, DefaultMaxResponseBytes)
	c.HTTPTimeout = positiveOr(c.HTTPTimeout, DefaultHTTPTimeout)
	c.RefreshInterval = positiveOr(c.RefreshInterval, DefaultRefreshInterval)
	c.UnknownKIDRefreshInterval = positiveOr(c.UnknownKIDRefreshInterval, DefaultUnknownKIDRefreshInterval)
	c.UnknownKIDWait = positiveOr(c.UnknownKIDWait, DefaultUnknownKIDWait)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	c.Audience = slices.Clone(c.Audience)
	c.AuthorizedParties = slices.Clone(c.AuthorizedParties)
	c.IssuerAliases = slices.Clone(c.IssuerAliases)
	c.RequiredClaims = maps.Clone(c.RequiredClaims)
	c.Algorithms = slices.Clone(c.Algorithms)
	c.Rules = slices.Clone(c.Rules)
	return c
}

func positiveOr[T int | int64 | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// checkURL accepts absolute http(s) URLs without query or fragment; plain
// http only on loopback unless allowInsecure.
func checkURL(raw string, allowInsecure bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		return errors.New("must be an absolute http or https URL")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return errors.New("must not carry a query, a fragment or credentials")
	case u.Scheme == "http" && !allowInsecure && !isLoopback(u.Hostname()):
		return errors.New("plain http is allowed only on loopback (or set AllowInsecureHTTP)")
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
