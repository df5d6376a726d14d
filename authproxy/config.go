package authproxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"time"
)

// Defaults for the zero values of Config.
const (
	// DefaultMaxBody caps a request body: plenty for credentials, and small
	// enough that a client cannot make the proxy stream uploads upstream.
	DefaultMaxBody = 64 << 10
	// DefaultTimeout bounds a round trip to the provider. Servers that
	// mount the proxy should allow at least this much in WriteTimeout, so
	// that a slow provider is answered 504 rather than cut off.
	DefaultTimeout = 10 * time.Second
)

// Config configures [New]. Issuer is required; every other field has a
// safe default.
type Config struct {
	// Issuer is the base URL of the identity provider, such as
	// "https://id.example.com": an absolute http or https URL without
	// credentials, query or fragment. A path, if any, is kept as a prefix:
	// with "https://example.com/idp", /v1/auth/login is forwarded to
	// https://example.com/idp/v1/auth/login.
	Issuer string

	// AllowedPaths lists what is forwarded. An entry ending in "/" allows
	// every path below it; any other entry allows exactly that path. Every
	// entry must be a clean path under /v1/auth/. Default: all of /v1/auth/.
	// Paths under /v1/auth/ that are not allowed are answered 404.
	AllowedPaths []string

	// ForwardedHost is sent upstream as X-Forwarded-Host (and host= in
	// Forwarded), typically the application's public host name, so that the
	// provider can build links back to it. Empty means it is not sent. It
	// is never taken from the request, not even from a trusted proxy: a
	// client-chosen Host would let anyone steer the links the provider
	// mails out (password resets, magic links).
	ForwardedHost string

	// CookieDomain, when set, replaces the Domain attribute of every
	// Set-Cookie from the provider that carries one, so that the browser
	// stores the cookie for the application's domain rather than drop it
	// as foreign. Set-Cookie is read as a browser reads it (RFC 6265
	// section 5.2), so that no spelling of Domain slips through; a cookie a
	// browser might read differently is dropped. Host-only cookies (no
	// Domain, such as __Host- cookies) stay host-only. When empty,
	// Set-Cookie is passed on unchanged.
	CookieDomain string

	// ExtraRequestHeaders are request headers forwarded in addition to
	// [DefaultRequestHeaders], such as "Traceparent" or a provider's own
	// "X-Device-Id". Hop-by-hop headers, Host, and the headers that state
	// the client or the URL (Forwarded, X-Forwarded-*, X-Real-Ip and the
	// like) are refused: only the proxy states those.
	ExtraRequestHeaders []string

	// TrustedProxies are the addresses of the load balancers or reverse
	// proxies in front of the application. When the connection comes from
	// one of them, its X-Forwarded-For, X-Forwarded-Proto and Forwarded are
	// honoured: the chain is walked from the right, skipping trusted hops,
	// and the first untrusted address is the client the provider is told
	// about. List only proxies that append to X-Forwarded-For (or
	// Forwarded) on every request; a proxy that passes a client's header
	// through unchanged would let the client choose its address. Default:
	// none, and the connection's own address and scheme are what the
	// provider is told.
	TrustedProxies []netip.Prefix

	// PublicScheme, "http" or "https", is the scheme the provider is told
	// the client used, whatever the connection or any proxy says: for a
	// load balancer that terminates TLS without setting X-Forwarded-Proto.
	// Default: the scheme resolved from a trusted proxy's headers, else
	// the connection's own.
	PublicScheme string

	// CrossOriginProtection refuses cross-origin browser requests with an
	// unsafe method (POST, PUT, PATCH, DELETE), so that no other site can
	// log a user out, or log them in as the attacker. Default:
	// http.NewCrossOriginProtection(). To let another origin of yours call
	// the proxy, pass one with that origin added, as for
	// core.WithCrossOriginProtection:
	//
	//	cop := http.NewCrossOriginProtection()
	//	if err := cop.AddTrustedOrigin("https://www.example.com"); err != nil { ... }
	//	cfg.CrossOriginProtection = cop
	CrossOriginProtection *http.CrossOriginProtection

	// MaxBodyBytes caps a request body. Default [DefaultMaxBody].
	MaxBodyBytes int64

	// Timeout bounds a round trip to the provider, from connecting until
	// the response headers arrive. The response body is not bounded by it.
	// Default [DefaultTimeout].
	Timeout time.Duration

	// Transport sends the requests to the provider. Default: a clone of
	// http.DefaultTransport that waits at most Timeout for response headers
	// and passes compressed bodies through as they are.
	Transport http.RoundTripper

	// Logger receives a Warn record for every request the proxy answers
	// with an error, and for every Set-Cookie it drops, with the path and
	// the status only: never tokens, cookies, headers or bodies.
	// ReverseProxy's own messages (a response body cut short) go to it at
	// Warn too. Default slog.Default().
	Logger *slog.Logger
}

// checked is a Config that passed check, with its defaults filled in.
type checked struct {
	Config
	target       *url.URL
	allowedPaths []string
	headers      map[string]bool
	trusted      []netip.Prefix
}

// check validates cfg and fills in its defaults. All errors are reported
// at once.
func (cfg Config) check() (*checked, error) {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("authproxy: Config."+format, args...))
	}

	target, err := url.Parse(cfg.Issuer)
	switch {
	case cfg.Issuer == "":
		fail("Issuer is required")
	case err != nil:
		fail("Issuer is not a URL")
	case target.Scheme != "https" && target.Scheme != "http", target.Host == "", target.Opaque != "":
		fail("Issuer must be an absolute http or https URL")
	case target.User != nil, target.RawQuery != "", target.ForceQuery, target.Fragment != "":
		fail("Issuer must not carry credentials, a query or a fragment")
	case target.RawPath != "":
		// Its encoded form would be lost when the cleaned request path is
		// joined to it.
		fail("Issuer path must not hold percent-encoded reserved characters")
	}

	allowed := cfg.AllowedPaths
	if len(allowed) == 0 {
		allowed = []string{pathPrefix}
	}
	for _, a := range allowed {
		if clean, ok := cleanPath(a); !ok || clean != a {
			fail("AllowedPaths: %q is not a clean path under %s", a, pathPrefix)
		}
	}

	if cfg.ForwardedHost != "" && !validForwardedHost(cfg.ForwardedHost) {
		fail("ForwardedHost must be a host name or host:port")
	}
	if cfg.CookieDomain != "" {
		// Cookie.Valid applies the same check Cookie.String does.
		c := http.Cookie{Name: "n", Value: "v", Domain: cfg.CookieDomain}
		if c.Valid() != nil {
			fail("CookieDomain is not a valid cookie domain")
		}
	}

	headers, herrs := requestHeaderSet(cfg.ExtraRequestHeaders)
	for _, e := range herrs {
		fail("ExtraRequestHeaders: %v", e)
	}

	trusted := make([]netip.Prefix, 0, len(cfg.TrustedProxies))
	for _, p := range cfg.TrustedProxies {
		n, ok := normalPrefix(p)
		if !ok {
			fail("TrustedProxies: %q is not a valid CIDR prefix", p)
			continue
		}
		trusted = append(trusted, n)
	}
	switch cfg.PublicScheme {
	case "", "http", "https":
	default:
		fail(`PublicScheme must be "", "http" or "https"`)
	}

	switch {
	case cfg.MaxBodyBytes < 0:
		fail("MaxBodyBytes must not be negative")
	case cfg.MaxBodyBytes == 0:
		cfg.MaxBodyBytes = DefaultMaxBody
	}
	switch {
	case cfg.Timeout < 0:
		fail("Timeout must not be negative")
	case cfg.Timeout == 0:
		cfg.Timeout = DefaultTimeout
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	if cfg.CrossOriginProtection == nil {
		cfg.CrossOriginProtection = http.NewCrossOriginProtection()
	}
	if cfg.Transport == nil {
		cfg.Transport = newTransport(cfg.Timeout)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &checked{
		Config:       cfg,
		target:       target,
		allowedPaths: append([]string(nil), allowed...),
		headers:      headers,
		trusted:      trusted,
	}, nil
}
