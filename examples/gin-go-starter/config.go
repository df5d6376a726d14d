package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/identsphere/identsphere-go/authproxy"
	"github.com/identsphere/identsphere-go/core"
)

// Defaults for what the environment leaves unset.
const (
	defaultAddr = ":8080"
	// defaultProxyTimeout is the login proxy's own default; the server's
	// WriteTimeout is derived from it.
	defaultProxyTimeout = authproxy.DefaultTimeout
)

// config is everything the service reads from its environment.
type config struct {
	// DevMode runs an embedded development issuer. It is on exactly when
	// IDENTSPHERE_URL is not set at all, so that a deployment whose issuer
	// variable came out empty fails instead of trusting a dev issuer.
	DevMode bool
	// IssuerURL is IDENTSPHERE_URL: the expected iss of every token, where
	// its keys are discovered, and where /v1/auth/ is forwarded.
	IssuerURL string
	// Audience is IDENTSPHERE_AUDIENCE: the aud tokens must be minted for.
	// Without it, a token the issuer minted for any other service would do.
	Audience string
	// Addr is ADDR, the listen address; dev mode keeps only its port.
	Addr string
	// MetricsAddr is METRICS_ADDR: where GET /metrics listens, apart from
	// the API (an address your Prometheus reaches and your users do not);
	// unset, /metrics is served on Addr. Dev mode keeps only its port.
	MetricsAddr string
	// ProxyTimeout is IDENTSPHERE_PROXY_TIMEOUT, the longest a login or
	// signup forwarded to the issuer may wait for its answer.
	ProxyTimeout time.Duration
	// ClientID and ClientSecret are IDENTSPHERE_CLIENT_ID and
	// IDENTSPHERE_CLIENT_SECRET: this service's credentials for token
	// introspection, which /api/transfer asks on every request.
	ClientID, ClientSecret string
	// TrustedProxies is IDENTSPHERE_TRUSTED_PROXIES, comma-separated CIDR
	// prefixes or addresses: the load balancers whose X-Forwarded-For,
	// X-Forwarded-Proto and Forwarded the login proxy believes, so that the
	// issuer sees each user's address rather than the balancer's.
	TrustedProxies []netip.Prefix
	// PublicScheme is IDENTSPHERE_PUBLIC_SCHEME ("http", "https" or
	// unset): the scheme the issuer is told users connect with, for a
	// balancer that terminates TLS without saying so.
	PublicScheme string
	// IntrospectionURL is IDENTSPHERE_INTROSPECTION_URL: the issuer's RFC
	// 7662 endpoint, for providers whose discovery document does not
	// advertise it (some serve it only on an admin port).
	IntrospectionURL string
	// RedisURL is IDENTSPHERE_REDIS_URL (redis:// or rediss://): when set,
	// revocations (back-channel logouts) are shared by every replica
	// through it; unset, each replica keeps its own in memory.
	RedisURL string
	// TokenCache is IDENTSPHERE_TOKEN_CACHE ("on", the default, or "off"):
	// whether a token seen again skips the signature check until it expires.
	TokenCache bool
	// DPoP is IDENTSPHERE_DPOP ("disabled", "allowed", the default, or
	// "required"): whether the /api routes take DPoP-bound tokens with
	// proofs (RFC 9449) beside Bearer tokens, or only them.
	DPoP core.DPoPMode
	// Profile is IDENTSPHERE_TOKEN_PROFILE ("access", the default,
	// "rfc9068" or "id"): the kind of token /api takes. access: the
	// provider's JWT access tokens (ID tokens refused); rfc9068: only access
	// tokens typed at+jwt (RFC 9068); id: OpenID Connect ID tokens, with
	// IDENTSPHERE_AUDIENCE the client id (a gateway in front of its own front
	// end; Dex, whose access tokens are ID tokens too).
	Profile core.TokenProfile
	// AuthorizedParties is IDENTSPHERE_AUTHORIZED_PARTIES, comma-separated:
	// with IDENTSPHERE_TOKEN_PROFILE=id, the other clients whose ID tokens
	// (azp) this service trusts, such as the Dex client that obtains
	// cross-client tokens for it.
	AuthorizedParties []string
	// PublicURL is IDENTSPHERE_PUBLIC_URL: the URL clients reach this
	// service at (https://api.example.com), which DPoP proofs name. Unset:
	// in dev mode the listen address; otherwise DPoP is off, or, with
	// IDENTSPHERE_DPOP set explicitly, the service refuses to start.
	PublicURL string
}

// loadConfig reads the configuration through lookupEnv (os.LookupEnv).
func loadConfig(lookupEnv func(string) (string, bool)) (config, error) {
	getenv := func(name string) string {
		v, _ := lookupEnv(name)
		return v
	}
	cfg := config{
		Addr:         defaultAddr,
		ProxyTimeout: defaultProxyTimeout,
		Audience:     getenv("IDENTSPHERE_AUDIENCE"),
		ClientID:     getenv("IDENTSPHERE_CLIENT_ID"),
		ClientSecret: getenv("IDENTSPHERE_CLIENT_SECRET"),
		TokenCache:   true,
	}
	if u := getenv("IDENTSPHERE_INTROSPECTION_URL"); u != "" {
		parsed, err := url.Parse(u)
		if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
			return config{}, fmt.Errorf("IDENTSPHERE_INTROSPECTION_URL must be an absolute http(s) URL, not %q", u)
		}
		cfg.IntrospectionURL = u
	}
	if u := getenv("IDENTSPHERE_REDIS_URL"); u != "" {
		if !strings.HasPrefix(u, "redis://") && !strings.HasPrefix(u, "rediss://") {
			// Not echoed: the URL may hold a password.
			return config{}, errors.New("IDENTSPHERE_REDIS_URL must start with redis:// or rediss://")
		}
		cfg.RedisURL = u
	}
	switch cache := getenv("IDENTSPHERE_TOKEN_CACHE"); cache {
	case "", "on":
	case "off":
		cfg.TokenCache = false
	default:
		return config{}, fmt.Errorf("IDENTSPHERE_TOKEN_CACHE must be on or off, not %q", cache)
	}
	switch scheme := getenv("IDENTSPHERE_PUBLIC_SCHEME"); scheme {
	case "", "http", "https":
		cfg.PublicScheme = scheme
	default:
		return config{}, fmt.Errorf("IDENTSPHERE_PUBLIC_SCHEME must be http or https, not %q", scheme)
	}
	if err := cfg.parseTokenKind(getenv(profileVariable), getenv("IDENTSPHERE_AUTHORIZED_PARTIES")); err != nil {
		return config{}, err
	}
	mode, explicitDPoP := lookupEnv("IDENTSPHERE_DPOP")
	dpop, err := parseDPoPMode(mode)
	if err != nil {
		return config{}, err
	}
	cfg.DPoP = dpop
	if u := getenv("IDENTSPHERE_PUBLIC_URL"); u != "" {
		if err := checkPublicURL(u); err != nil {
			return config{}, err
		}
		cfg.PublicURL = u
	}
	trusted, err := parsePrefixes(getenv("IDENTSPHERE_TRUSTED_PROXIES"))
	if err != nil {
		return config{}, fmt.Errorf("IDENTSPHERE_TRUSTED_PROXIES: %w", err)
	}
	cfg.TrustedProxies = trusted
	if addr := getenv("ADDR"); addr != "" {
		cfg.Addr = addr
	}
	if addr := getenv("METRICS_ADDR"); addr != "" {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return config{}, fmt.Errorf("METRICS_ADDR %q: %w", addr, err)
		}
		cfg.MetricsAddr = addr
	}
	if s := getenv("IDENTSPHERE_PROXY_TIMEOUT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return config{}, fmt.Errorf("IDENTSPHERE_PROXY_TIMEOUT must be a positive duration such as 10s, not %q", s)
		}
		cfg.ProxyTimeout = d
	}

	issuer, set := lookupEnv("IDENTSPHERE_URL")
	switch {
	case !set:
		cfg.DevMode = true
		addr, err := loopbackAddr(cfg.Addr)
		if err != nil {
			return config{}, err
		}
		cfg.Addr = addr
		if cfg.MetricsAddr != "" {
			if cfg.MetricsAddr, err = loopbackAddr(cfg.MetricsAddr); err != nil {
				return config{}, err
			}
		}
		return cfg, nil
	case issuer == "":
		return config{}, errors.New("IDENTSPHERE_URL is set but empty; unset it to run in dev mode")
	case cfg.Audience == "":
		return config{}, errors.New("IDENTSPHERE_AUDIENCE is required when IDENTSPHERE_URL is set: the aud your issuer puts in tokens for this API")
	}
	if explicitDPoP && cfg.DPoP != core.DPoPDisabled && cfg.PublicURL == "" {
		return config{}, fmt.Errorf("IDENTSPHERE_DPOP=%s needs IDENTSPHERE_PUBLIC_URL, the URL clients reach this service at, which DPoP proofs name", mode)
	}
	cfg.IssuerURL = issuer
	return cfg, nil
}

// profileVariable names the profile setting: in errors, and in the refusal
// log of a token refused for its kind (core.Config.ProfileSetting).
const profileVariable = "IDENTSPHERE_TOKEN_PROFILE"

// parseTokenKind reads IDENTSPHERE_TOKEN_PROFILE and
// IDENTSPHERE_AUTHORIZED_PARTIES (comma-separated, blanks skipped).
func (cfg *config) parseTokenKind(profile, parties string) error {
	if profile != "" {
		if err := cfg.Profile.UnmarshalText([]byte(profile)); err != nil {
			return fmt.Errorf("%s must be access, rfc9068 or id, not %q", profileVariable, profile)
		}
	}
	for p := range strings.SplitSeq(parties, ",") {
		if p = strings.TrimSpace(p); p != "" {
			cfg.AuthorizedParties = append(cfg.AuthorizedParties, p)
		}
	}
	if len(cfg.AuthorizedParties) > 0 && cfg.Profile != core.IDTokens {
		return fmt.Errorf("IDENTSPHERE_AUTHORIZED_PARTIES lists the clients whose ID tokens are trusted: it needs %s=id", profileVariable)
	}
	return nil
}

// loopbackAddr keeps addr's port on 127.0.0.1. The dev issuer logs in
// anyone with any password, so nothing that trusts it may be reachable
// from the network, whatever ADDR says.
func loopbackAddr(addr string) (string, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("ADDR %q: %w", addr, err)
	}
	return net.JoinHostPort("127.0.0.1", port), nil
}

// parsePrefixes reads a comma-separated list of CIDR prefixes ("10.0.0.0/8")
// or single addresses ("192.0.2.10").
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for s := range strings.SplitSeq(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("%q is neither a CIDR prefix nor an address", s)
			}
			s = netip.PrefixFrom(a, a.BitLen()).String()
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR prefix nor an address", s)
		}
		out = append(out, p)
	}
	return out, nil
}
