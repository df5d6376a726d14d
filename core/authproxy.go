package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"
)

// authProxyPrefix is the only part of an application's URL space the
// proxy ever forwards.
const authProxyPrefix = "/v1/auth/"

// Defaults for the zero values of AuthProxyConfig.
const (
	DefaultAuthProxyMaxBody = 64 << 10
	DefaultAuthProxyTimeout = 10 * time.Second
)

// errAuthProxyTimeout is the round trip error when the identity provider
// has not answered within AuthProxyConfig.Timeout.
var errAuthProxyTimeout = errors.New("identsphere: identity provider did not answer in time")

// AuthProxyConfig configures [NewAuthProxy]. Issuer is required; every
// other field has a safe default.
type AuthProxyConfig struct {
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

	// ForwardedHost is sent upstream as X-Forwarded-Host, typically the
	// application's public host name, so that the provider can build
	// links back to it. Empty means the header is not sent. It is never
	// taken from the request: a client-chosen Host would let anyone steer
	// the links the provider mails out (password resets, magic links).
	ForwardedHost string

	// CookieDomain, when set, replaces the Domain attribute of every
	// Set-Cookie from the provider that carries one, so that the browser
	// stores the cookie for the application's domain rather than drop it
	// as foreign. Host-only cookies (no Domain, such as __Host- cookies)
	// stay host-only.
	CookieDomain string

	// MaxBodyBytes caps a request body. Default 64 KiB, which is plenty for
	// credentials and small enough that a client cannot make the proxy
	// stream large uploads to the provider.
	MaxBodyBytes int64

	// Timeout bounds a round trip to the provider, from connecting until
	// the response headers arrive. The response body is not bounded by it.
	// Default 10s.
	Timeout time.Duration

	// Transport sends the requests to the provider. Default: a clone of
	// http.DefaultTransport that waits at most Timeout for response headers
	// and passes compressed bodies through as they are.
	Transport http.RoundTripper

	// Logger receives a Warn record for every request the proxy answers
	// with an error, and for every Set-Cookie it drops, with the path and
	// the status only: never tokens, cookies or bodies. ReverseProxy's own
	// messages (a response body cut short) go to it at Warn too. Default
	// slog.Default().
	Logger *slog.Logger
}

// AuthProxy forwards an allow-list of /v1/auth/ paths to the identity
// provider, for applications that serve login, signup, logout and refresh
// on their own origin and leave the work to the provider. It passes the
// provider's cookies back to the browser.
//
// Mount it without stripping the prefix, so that it sees the full path:
//
//	mux.Handle("/v1/auth/", p)            // net/http
//	r.Mount("/v1/auth", p)                // chi, or r.Handle("/v1/auth/*", p)
//	r.Any("/v1/auth/*path", gin.WrapH(p)) // gin
//
// A request is answered by the proxy itself, without contacting the
// provider, when its path, once percent-decoded and cleaned of dot
// segments, is not under /v1/auth/ (400), is not allowed (404), holds
// after decoding a percent sign, backslash, semicolon or anything but
// visible ASCII (400), asks for a protocol upgrade (400), or declares a body larger
// than MaxBodyBytes (413). What is forwarded is the cleaned path, so the
// provider sees exactly the path that was checked.
//
// Upstream, the request keeps its method, query, body and headers except
// for the hop-by-hop headers, Authorization (the application's credential,
// not the provider's), and the headers a client could use to pose as
// another client or another URL (Forwarded, X-Forwarded-*, X-Real-Ip and
// the like). X-Forwarded-For and X-Forwarded-Proto describe the actual
// connection; X-Forwarded-Host is AuthProxyConfig.ForwardedHost.
//
// Failures are answered with a JSON body {"error", "error_description"}:
// 413 request_too_large when a streamed body outgrows MaxBodyBytes, 504
// gateway_timeout when the provider is too slow, 502 bad_gateway when it
// cannot be reached. Error bodies never reveal the provider's address or
// the underlying error. If the provider fails halfway through its response
// body, the connection to the client is aborted (http.ErrAbortHandler), so
// that a truncated answer cannot pass for a complete one.
//
// The zero AuthProxy answers every request 502; use [NewAuthProxy].
type AuthProxy struct {
	proxy         *httputil.ReverseProxy
	target        *url.URL
	basePath      string // target.Path without its trailing slash
	allowed       []string
	forwardedHost string
	cookieDomain  string
	maxBody       int64
	log           *slog.Logger
}

// NewAuthProxy checks cfg and returns a proxy. All configuration errors are
// reported at once.
func NewAuthProxy(cfg AuthProxyConfig) (*AuthProxy, error) {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("identsphere: AuthProxyConfig."+format, args...))
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
		allowed = []string{authProxyPrefix}
	}
	for _, a := range allowed {
		if clean, ok := cleanAuthProxyPath(a); !ok || clean != a {
			fail("AllowedPaths: %q is not a clean path under %s", a, authProxyPrefix)
		}
	}

	if cfg.ForwardedHost != "" && !validForwardedHost(cfg.ForwardedHost) {
		fail("ForwardedHost must be a host name or host:port")
	}
	if cfg.CookieDomain != "" {
		// Cookie.Valid applies the same check Cookie.String does; String
		// would otherwise drop an invalid Domain and only log about it.
		c := http.Cookie{Name: "n", Value: "v", Domain: cfg.CookieDomain}
		if c.Valid() != nil {
			fail("CookieDomain is not a valid cookie domain")
		}
	}
	switch {
	case cfg.MaxBodyBytes < 0:
		fail("MaxBodyBytes must not be negative")
	case cfg.MaxBodyBytes == 0:
		cfg.MaxBodyBytes = DefaultAuthProxyMaxBody
	}
	switch {
	case cfg.Timeout < 0:
		fail("Timeout must not be negative")
	case cfg.Timeout == 0:
		cfg.Timeout = DefaultAuthProxyTimeout
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	if cfg.Transport == nil {
		cfg.Transport = newAuthProxyTransport(cfg.Timeout)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := &AuthProxy{
		target:        target,
		basePath:      strings.TrimSuffix(target.Path, "/"),
		allowed:       append([]string(nil), allowed...),
		forwardedHost: cfg.ForwardedHost,
		cookieDomain:  cfg.CookieDomain,
		maxBody:       cfg.MaxBodyBytes,
		log:           cfg.Logger,
	}
	p.proxy = &httputil.ReverseProxy{
		Rewrite:      p.rewrite,
		Transport:    &proxyDeadlineTransport{base: cfg.Transport, timeout: cfg.Timeout},
		ErrorHandler: p.proxyError,
		ErrorLog:     slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	if cfg.CookieDomain != "" {
		p.proxy.ModifyResponse = p.rewriteCookies
	}
	return p, nil
}

// ServeHTTP forwards r to the identity provider, or answers it with a JSON
// error if it may not be forwarded.
func (p *AuthProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p == nil || p.proxy == nil {
		writeProxyError(w, http.StatusBadGateway, "bad_gateway", "The authentication service is not configured.")
		return
	}
	clean, ok := cleanAuthProxyPath(r.URL.Path)
	switch {
	case !ok:
		p.refuse(w, r, http.StatusBadRequest, "invalid_request", "The request path is not valid.")
		return
	case !p.allows(clean):
		p.refuse(w, r, http.StatusNotFound, "not_found", "There is no such authentication endpoint.")
		return
	case upgradeRequested(r.Header):
		p.refuse(w, r, http.StatusBadRequest, "invalid_request", "Protocol upgrades are not supported.")
		return
	case r.ContentLength > p.maxBody:
		p.refuse(w, r, http.StatusRequestEntityTooLarge, "request_too_large", "The request body is too large.")
		return
	}

	// Forward a shallow copy, as http.StripPrefix does: a handler must not
	// modify the request it was given.
	out := new(http.Request)
	*out = *r
	u := *r.URL
	u.Path, u.RawPath = clean, ""
	out.URL = &u
	if r.Body != nil {
		// Content-Length was checked above; this catches chunked bodies.
		out.Body = http.MaxBytesReader(w, r.Body, p.maxBody)
	}
	p.proxy.ServeHTTP(w, out)
}

// rewrite builds the upstream request. ReverseProxy has already removed
// the hop-by-hop headers and the client's Forwarded and X-Forwarded-For,
// -Host and -Proto.
func (p *AuthProxy) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(p.target) // scheme, host, and the provider's Host header
	// ServeHTTP put the cleaned path in In.URL. Setting Path alone, without
	// RawPath, makes the provider see the canonical encoding of exactly
	// the path that was checked.
	pr.Out.URL.Path = p.basePath + pr.In.URL.Path
	pr.Out.URL.RawPath = ""

	h := pr.Out.Header
	h.Del("Authorization")
	for name := range h {
		if spoofableHeader(name) {
			delete(h, name)
		}
	}
	pr.SetXForwarded()
	h.Del("X-Forwarded-Host") // SetXForwarded copies the client's Host
	if p.forwardedHost != "" {
		h.Set("X-Forwarded-Host", p.forwardedHost)
	}
}

// spoofableHeader reports whether a request header is one through which a
// client could pose as another client (to dodge rate limits keyed on the
// address) or ask for another URL (to dodge the path checks or poison links
// the provider builds). Only this proxy may state such things. "_" counts
// as "-", since CGI-style servers read X-Real_Ip as X-Real-Ip.
func spoofableHeader(name string) bool {
	name = http.CanonicalHeaderKey(strings.ReplaceAll(name, "_", "-"))
	switch name {
	case "Forwarded", "X-Real-Ip", "X-Client-Ip", "True-Client-Ip", "X-Original-Url", "X-Rewrite-Url":
		return true
	}
	return strings.HasPrefix(name, "X-Forwarded-")
}

// rewriteCookies sets the Domain of the provider's domain cookies to
// CookieDomain. A Set-Cookie that cannot be parsed is dropped rather than
// passed on with a Domain that was never checked.
func (p *AuthProxy) rewriteCookies(resp *http.Response) error {
	values := resp.Header["Set-Cookie"]
	if len(values) == 0 {
		return nil
	}
	kept := values[:0]
	for _, v := range values {
		c, err := http.ParseSetCookie(v)
		if err != nil {
			p.log.LogAttrs(resp.Request.Context(), slog.LevelWarn, "identsphere: auth proxy dropped a malformed Set-Cookie from the provider",
				slog.String("path", p.clientPath(resp.Request)), slog.Int("status", resp.StatusCode))
			continue
		}
		if c.Domain != "" {
			c.Domain = p.cookieDomain
			// Cookie.String writes only the attributes it knows; keep the
			// others (Priority, for one) as the provider sent them.
			v = strings.Join(append([]string{c.String()}, c.Unparsed...), "; ")
		}
		kept = append(kept, v)
	}
	if len(kept) == 0 {
		delete(resp.Header, "Set-Cookie")
	} else {
		resp.Header["Set-Cookie"] = kept
	}
	return nil
}

// proxyError answers a failed round trip.
func (p *AuthProxy) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	var tooLarge *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooLarge):
		p.refuse(w, r, http.StatusRequestEntityTooLarge, "request_too_large", "The request body is too large.")
	case errors.Is(err, errAuthProxyTimeout),
		errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		p.refuse(w, r, http.StatusGatewayTimeout, "gateway_timeout", "The authentication service did not answer in time.")
	case r.Context().Err() != nil:
		// The client went away; nobody reads this, and it is no failure of
		// the provider worth a warning.
		p.log.LogAttrs(r.Context(), slog.LevelDebug, "identsphere: auth proxy client went away",
			slog.String("path", p.clientPath(r)))
		writeProxyError(w, http.StatusBadGateway, "bad_gateway", "The authentication service is unavailable.")
	default:
		p.refuse(w, r, http.StatusBadGateway, "bad_gateway", "The authentication service is unavailable.")
	}
}

// refuse logs a failure and answers it.
func (p *AuthProxy) refuse(w http.ResponseWriter, r *http.Request, status int, code, description string) {
	p.log.LogAttrs(r.Context(), slog.LevelWarn, "identsphere: auth proxy request failed",
		slog.String("path", p.clientPath(r)), slog.Int("status", status))
	writeProxyError(w, status, code, description)
}

// clientPath is the path of r as the client sent it (for a request being
// forwarded, the cleaned one), cut short so that a client cannot flood
// the log with long paths.
func (p *AuthProxy) clientPath(r *http.Request) string {
	const maxLogPath = 256
	s := r.URL.EscapedPath()
	if r.URL.Host == p.target.Host && r.URL.Scheme == p.target.Scheme {
		s = strings.TrimPrefix(s, p.basePath)
	}
	if len(s) > maxLogPath {
		s = s[:maxLogPath] + "..."
	}
	return s
}

// writeProxyError writes {"error": code, "error_description": description}.
// code and description are fixed strings chosen by this file, never text
// from the request or from an error.
func writeProxyError(w http.ResponseWriter, status int, code, description string) {
	body, _ := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, description}) // cannot fail: two strings
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
