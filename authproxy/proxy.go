package authproxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
)

// Proxy forwards an allow-list of /v1/auth/ paths to the identity
// provider; see the package documentation for what it refuses and what the
// provider sees. It is safe for concurrent use.
//
// Mount it without stripping the prefix, so that it sees the full path:
//
//	mux.Handle("/v1/auth/", p)            // net/http
//	r.Mount("/v1/auth", p)                // chi, or r.Handle("/v1/auth/*", p)
//	r.Any("/v1/auth/*path", gin.WrapH(p)) // gin
//
// If the provider fails halfway through its response body, the connection
// to the client is aborted (http.ErrAbortHandler), so that a truncated
// answer cannot pass for a complete one.
//
// The zero Proxy answers every request 502; use [New].
type Proxy struct {
	proxy         *httputil.ReverseProxy
	target        *url.URL
	basePath      string // target.Path without its trailing slash
	allowed       []string
	headers       map[string]bool // canonical names of the forwarded request headers
	trusted       []netip.Prefix
	publicScheme  string
	forwardedHost string
	cookieDomain  string
	crossOrigin   *http.CrossOriginProtection
	maxBody       int64
	log           *slog.Logger
}

// New checks cfg and returns a proxy. All configuration errors are
// reported at once.
func New(cfg Config) (*Proxy, error) {
	c, err := cfg.check()
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		target:        c.target,
		basePath:      strings.TrimSuffix(c.target.Path, "/"),
		allowed:       c.allowedPaths,
		headers:       c.headers,
		trusted:       c.trusted,
		publicScheme:  c.PublicScheme,
		forwardedHost: c.ForwardedHost,
		cookieDomain:  c.CookieDomain,
		crossOrigin:   c.CrossOriginProtection,
		maxBody:       c.MaxBodyBytes,
		log:           c.Logger,
	}
	p.proxy = &httputil.ReverseProxy{
		Rewrite:      p.rewrite,
		Transport:    &deadlineTransport{base: c.Transport, timeout: c.Timeout},
		ErrorHandler: p.proxyError,
		ErrorLog:     slog.NewLogLogger(c.Logger.Handler(), slog.LevelWarn),
	}
	if c.CookieDomain != "" {
		p.proxy.ModifyResponse = p.rewriteCookies
	}
	return p, nil
}

// forwardingKey carries a request's resolved *forwarding from ServeHTTP,
// which may still refuse the request, to rewrite, which may not.
type forwardingKey struct{}

// ServeHTTP forwards r to the identity provider, or answers it with a JSON
// error if it may not be forwarded.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p == nil || p.proxy == nil {
		writeError(w, http.StatusBadGateway, "bad_gateway", "The authentication service is not configured.")
		return
	}
	if !allowedMethod(r.Method) {
		w.Header().Set("Allow", allowHeader)
		p.refuse(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "This method is not allowed here.")
		return
	}
	if p.crossOrigin.Check(r) != nil {
		p.refuse(
			w,
			r,
			http.StatusForbidden,
			"forbidden",
			"Cross-origin requests to the authentication service are not allowed.",
		)
		return
	}
	clean, ok := cleanPath(r.URL.Path)
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
	fwd, err := p.resolveForwarding(r)
	if err != nil {
		p.refuse(w, r, http.StatusBadRequest, "invalid_request", "The forwarding headers are not valid.")
		return
	}

	// Forward a shallow copy, as http.StripPrefix does: a handler must not
	// modify the request it was given.
	out := r.WithContext(context.WithValue(r.Context(), forwardingKey{}, fwd))
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
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(p.target) // scheme, host, and the provider's Host header
	// ServeHTTP put the cleaned path in In.URL. Setting Path alone, without
	// RawPath, makes the provider see the canonical encoding of exactly
	// the path that was checked.
	pr.Out.URL.Path = p.basePath + pr.In.URL.Path
	pr.Out.URL.RawPath = ""

	p.filterHeaders(pr.Out.Header)
	fwd, _ := pr.In.Context().Value(forwardingKey{}).(*forwarding)
	if fwd == nil { // not through ServeHTTP: state nothing rather than guess
		fwd = &forwarding{proto: "http"}
	}
	fwd.set(pr.Out.Header, p.forwardedHost)
}

// proxyError answers a failed round trip.
func (p *Proxy) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	var tooLarge *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooLarge):
		p.refuse(w, r, http.StatusRequestEntityTooLarge, "request_too_large", "The request body is too large.")
	case errors.Is(err, errTimeout),
		errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		p.refuse(
			w,
			r,
			http.StatusGatewayTimeout,
			"gateway_timeout",
			"The authentication service did not answer in time.",
		)
	case r.Context().Err() != nil:
		// The client went away; nobody reads this, and it is no failure of
		// the provider worth a warning.
		p.log.LogAttrs(r.Context(), slog.LevelDebug, "authproxy: client went away",
			slog.String("path", p.clientPath(r)))
		writeError(w, http.StatusBadGateway, "bad_gateway", "The authentication service is unavailable.")
	default:
		p.refuse(w, r, http.StatusBadGateway, "bad_gateway", "The authentication service is unavailable.")
	}
}
