package resourceserver

import (
	"log/slog"
	"net/netip"
	"time"

	"github.com/identsphere/identsphere-go/authproxy"
	"github.com/identsphere/identsphere-go/core"
)

// Defaults for what the configuration leaves unset.
const (
	// DefaultAddr is where the API listens without Config.Addr (ADDR).
	DefaultAddr = ":8080"
	// DefaultProxyTimeout bounds a login forwarded to the issuer without
	// Config.ProxyTimeout; the server's WriteTimeout is derived from it.
	DefaultProxyTimeout = authproxy.DefaultTimeout
	// DefaultStepUpACR and DefaultStepUpMaxAge are what a step-up route
	// demands (Config.StepUp) when nothing is configured: a login with a
	// second factor, within five minutes.
	DefaultStepUpACR    = "mfa"
	DefaultStepUpMaxAge = 300 * time.Second
)

// Config is everything a Server is built from. FromEnv fills it from the
// IDENTSPHERE_* environment; a service that configures in code fills it
// itself. Each field names the variable FromEnv reads it from, which the
// errors of New name too.
type Config struct {
	// Issuer is IDENTSPHERE_URL: the expected iss of every token, where its
	// keys are discovered, and where /v1/auth/ is forwarded. Required,
	// except in dev mode, where the development issuer fills it in.
	Issuer string
	// Audience is IDENTSPHERE_AUDIENCE: the aud tokens must be minted for.
	// Required with Issuer: without it, a token the issuer minted for any
	// other service would do.
	Audience string
	// DevMode is on exactly when IDENTSPHERE_URL is not set at all (so that
	// a deployment whose issuer variable came out empty fails instead of
	// trusting a development issuer). It is for a service that trusts a
	// development issuer that logs in anyone (package devissuer): the
	// listeners keep only their ports, on 127.0.0.1, every request whose
	// Host is not a loopback name is answered 421, and DPoP proofs name the
	// listen address. It never starts an issuer itself: devissuer.Start
	// does, and fills Issuer in.
	DevMode bool
	// Addr is ADDR, the API's listen address. Default DefaultAddr; ":0"
	// takes a free port (Server.URL says which).
	Addr string
	// MetricsAddr is METRICS_ADDR: where GET /metrics listens, apart from
	// the API (an address your Prometheus reaches and your users do not).
	// Empty: /metrics is served on Addr.
	MetricsAddr string
	// ProxyTimeout is IDENTSPHERE_PROXY_TIMEOUT, the longest a login or
	// signup forwarded to the issuer may wait for its answer. Default
	// DefaultProxyTimeout.
	ProxyTimeout time.Duration
	// ClientID and ClientSecret are IDENTSPHERE_CLIENT_ID and
	// IDENTSPHERE_CLIENT_SECRET: this service's credentials for token
	// introspection (the fresh routes ask the issuer on every request), and
	// ClientID the aud of the back-channel logout tokens the provider
	// sends. Without ClientID, back-channel logout is off.
	ClientID, ClientSecret string
	// TrustedProxies is IDENTSPHERE_TRUSTED_PROXIES: the load balancers
	// whose X-Forwarded-For, X-Forwarded-Proto and Forwarded the login
	// proxy believes, so that the issuer sees each user's address rather
	// than the balancer's.
	TrustedProxies []netip.Prefix
	// PublicScheme is IDENTSPHERE_PUBLIC_SCHEME ("http", "https" or empty):
	// the scheme the issuer is told users connect with, for a balancer
	// that terminates TLS without saying so.
	PublicScheme string
	// IntrospectionURL is IDENTSPHERE_INTROSPECTION_URL: the issuer's RFC
	// 7662 endpoint, for providers whose discovery document does not
	// advertise it. Empty: discovered. Set, it needs ClientID and
	// ClientSecret: New and FromEnv refuse to start without them.
	IntrospectionURL string
	// RedisURL is IDENTSPHERE_REDIS_URL (redis:// or rediss://): when set,
	// revocations (back-channel logouts) and the DPoP and logout-token
	// replay records are shared by every replica through it; empty, each
	// replica keeps its own in memory.
	RedisURL string
	// DisableTokenCache is IDENTSPHERE_TOKEN_CACHE=off: a token seen again
	// is checked in full instead of skipping the signature check until it
	// expires.
	DisableTokenCache bool
	// DPoP is IDENTSPHERE_DPOP: whether the protected routes take
	// DPoP-bound tokens with proofs (RFC 9449) beside Bearer tokens
	// (DPoPAllowed, FromEnv's default), only them (DPoPRequired) or none
	// (DPoPDisabled, the zero value). Any mode but DPoPDisabled needs
	// PublicURL outside dev mode.
	DPoP core.DPoPMode
	// PublicURL is IDENTSPHERE_PUBLIC_URL: the URL clients reach this
	// service at (https://api.example.com), which DPoP proofs name. In dev
	// mode it defaults to the listen address.
	PublicURL string
	// Profile is IDENTSPHERE_TOKEN_PROFILE ("access", the default,
	// "rfc9068" or "id"): the kind of token the protected routes take (see
	// core.Config.Profile).
	Profile core.TokenProfile
	// AuthorizedParties is IDENTSPHERE_AUTHORIZED_PARTIES: with Profile
	// core.IDTokens, the other clients whose ID tokens (azp) this service
	// trusts.
	AuthorizedParties []string
	// StepUp is what the step-up routes demand of the login behind a token
	// (RFC 9470; see Server.StepUp): IDENTSPHERE_STEPUP_ACR, the accepted
	// acr values (comma- or space-separated), and IDENTSPHERE_STEPUP_MAX_AGE,
	// the longest time since the login (seconds, or a duration such as 5m).
	// Default: ACR [DefaultStepUpACR], MaxAge DefaultStepUpMaxAge, each when
	// unset.
	StepUp core.StepUp
	// Logger receives every record: the effective configuration once at
	// start, refusals, key changes, outages, one access-log record per
	// request. Not read from the environment. Default slog.Default().
	Logger *slog.Logger

	// dpopImplicit: FromEnv chose DPoP's mode, IDENTSPHERE_DPOP being
	// unset; then a missing PublicURL turns DPoP off with a warning instead
	// of refusing to start.
	dpopImplicit bool
}

// withDefaults fills what cfg leaves unset.
func (cfg Config) withDefaults() Config {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.ProxyTimeout == 0 {
		cfg.ProxyTimeout = DefaultProxyTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if len(cfg.StepUp.ACR) == 0 {
		cfg.StepUp.ACR = []string{DefaultStepUpACR}
	}
	if cfg.StepUp.MaxAge == 0 {
		cfg.StepUp.MaxAge = DefaultStepUpMaxAge
	}
	return cfg
}
