package resourceserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/identsphere/identsphere-go/authproxy"
	"github.com/identsphere/identsphere-go/core"
)

// errNoDevIssuer is New's answer to a dev-mode Config without an issuer.
var errNoDevIssuer = errors.New(
	"dev mode (IDENTSPHERE_URL unset) needs a development issuer: start one with devissuer.Start(&cfg) before New, " +
		"or set IDENTSPHERE_URL and IDENTSPHERE_AUDIENCE to use a real issuer",
)

// Server is a resource server's production wiring, built once at start:
// the Validator and its Authenticator options, the revocation store, the
// back-channel logout receiver, the login proxy, metrics, the request-id
// and access-log middleware, readiness, and the listeners. Mount its
// parts in your router, then Serve it. Its methods may be called from any
// goroutine.
type Server struct {
	cfg          Config
	logger       *slog.Logger
	validator    *core.Validator
	introspector *core.Introspector
	proxy        *authproxy.Proxy
	auth         []core.Option
	rev          *revocations
	tel          *telemetry
	backChannel  http.Handler           // nil without Config.ClientID
	metadata     *core.ResourceMetadata // nil without a public URL
	ln, metricLn net.Listener           // metricLn nil without Config.MetricsAddr

	closeOnce sync.Once
	closeErr  error
	serving   sync.Mutex // held by Serve
}

// New checks cfg, reporting every mistake at once (errors.Join, each
// naming its variable and the fix), logs the effective configuration once
// (secrets redacted), and builds everything: it connects the revocation
// store, starts loading the issuer's keys in the background, and binds the
// listeners (Config.Addr and Config.MetricsAddr), so that the address is
// known (URL) before Serve. It does not wait for the keys: Readiness says
// when they arrive.
//
// What the context governs: New itself (the Redis store's first
// connection) and the values it carries, handed to the logger. The
// background work New starts (key refresh, revocation sync) lives until
// Close, not until ctx ends: a start-up context with a timeout must not
// stop key rotation minutes later. Serve takes the context that ends the
// serving. Close releases everything New started, whether Serve ran or
// not.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("resourceserver: New: the context is already done: %w", err)
	}
	cfg = cfg.withDefaults()
	problems := cfg.problems()
	if cfg.DevMode && cfg.Issuer == "" {
		problems = append(problems, errNoDevIssuer)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	if cfg.DevMode {
		cfg.Addr = loopbackAddr(cfg.Addr)
		if cfg.MetricsAddr != "" {
			cfg.MetricsAddr = loopbackAddr(cfg.MetricsAddr)
		}
	}
	cfg.Logger.InfoContext(ctx, "effective configuration", slog.Any("configuration", cfg))
	s := &Server{cfg: cfg, logger: cfg.Logger}
	if err := s.build(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// build makes every part, in the order each needs the others; on an error
// the caller closes what was made.
func (s *Server) build(ctx context.Context) error {
	cfg, logger := s.cfg, s.logger
	var err error
	// Logouts pushed by the provider (back-channel logout) are refused on
	// every route, cached tokens included, on every replica sharing Redis.
	if s.rev, err = newRevocations(ctx, cfg, logger); err != nil {
		return err
	}
	// Metrics (Prometheus, through OpenTelemetry) of every decision, key
	// fetch and introspection call.
	if s.tel, err = newTelemetry(); err != nil {
		return err
	}
	if err := s.buildValidator(ctx); err != nil {
		return err
	}
	// /v1/auth/ on this origin is the issuer's login, signup, logout and
	// refresh, so that a browser's session cookie is first-party.
	if s.proxy, err = authproxy.New(authproxy.Config{
		Issuer:         cfg.Issuer,
		Timeout:        cfg.ProxyTimeout,
		TrustedProxies: cfg.TrustedProxies,
		PublicScheme:   cfg.PublicScheme,
		Logger:         logger,
	}); err != nil {
		return err
	}
	if err := s.listen(ctx); err != nil {
		return err
	}
	if s.auth, err = dpopOptions(cfg, s.URL(), s.rev.replay, logger); err != nil {
		return err
	}
	dpop := cfg.DPoP
	if len(s.auth) == 0 {
		dpop = core.DPoPDisabled
	}
	if s.metadata, err = resourceMetadata(cfg, s.URL(), dpop, logger); err != nil {
		return err
	}
	if s.metadata != nil {
		s.auth = append(s.auth, core.WithResourceMetadata(s.metadata))
	}
	if s.backChannel, err = backChannelReceiver(s.validator, cfg, s.rev, logger); err != nil {
		return err
	}
	logger.InfoContext(ctx, "listening", "addr", s.ln.Addr().String(), "issuer", cfg.Issuer, "dev_mode", cfg.DevMode)
	return nil
}

// buildValidator makes the Validator, watched by the metrics, and the
// Introspector of the fresh routes.
func (s *Server) buildValidator(ctx context.Context) error {
	cfg := s.cfg
	var err error
	// New never blocks: keys load in the background, so the service listens
	// (and answers its probes) even while the issuer is down.
	if s.validator, err = core.New(ctx, core.Config{
		Issuer:       cfg.Issuer,
		Audience:     []string{cfg.Audience},
		DisableCache: cfg.DisableTokenCache,
		Revocation:   s.rev.checker,
		Logger:       s.logger,
		Observer:     s.tel.observer,
		// A token refused for its kind is logged with the setting that
		// takes it.
		Profile:           cfg.Profile,
		AuthorizedParties: cfg.AuthorizedParties,
		ProfileSetting:    ProfileVariable,
	}); err != nil {
		return err
	}
	if err := s.tel.observer.Watch(s.validator); err != nil {
		return err
	}
	if err := s.tel.watchRevocations(s.rev); err != nil {
		return err
	}
	// Routes that must refuse a revoked token at once ask the issuer
	// (RFC 7662 introspection, discovered) on every request.
	s.introspector, err = core.NewIntrospector(s.validator, core.IntrospectionConfig{
		Endpoint:     cfg.IntrospectionURL,
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
	})
	return err
}

// listen binds the listeners, apart from serving, so that the bound
// address (a port chosen by the system with ":0") is known, logged and,
// in dev mode, named by DPoP proofs.
func (s *Server) listen(ctx context.Context) error {
	var lc net.ListenConfig
	var err error
	if s.ln, err = lc.Listen(ctx, "tcp", s.cfg.Addr); err != nil {
		return fmt.Errorf("ADDR: %w", err)
	}
	if s.cfg.MetricsAddr == "" {
		return nil
	}
	if s.metricLn, err = lc.Listen(ctx, "tcp", s.cfg.MetricsAddr); err != nil {
		return fmt.Errorf("METRICS_ADDR: %w", err)
	}
	s.logger.InfoContext(ctx, "metrics listening", "addr", s.metricLn.Addr().String())
	return nil
}

// Validator checks the tokens: hand it to the adapter's middleware
// (chiauth.Middleware, ginauth.Middleware, stdauth.Middleware) with
// AuthOptions.
func (s *Server) Validator() *core.Validator { return s.validator }

// AuthOptions are the protected routes' Authenticator options (DPoP, as
// configured; the resource_metadata of every 401, see ResourceMetadata);
// pass them to the adapter's middleware with Validator.
func (s *Server) AuthOptions() []core.Option { return s.auth }

// Introspector asks the issuer whether a token is still active (RFC 7662):
// for the routes that must refuse a revoked token at once
// (chiauth.RequireFresh and friends).
func (s *Server) Introspector() *core.Introspector { return s.introspector }

// StepUp is what the step-up routes demand of the login behind a token
// (Config.StepUp, with its defaults): pass it to the adapter's
// RequireStepUp, such as chiauth.RequireStepUp(srv.StepUp()).
func (s *Server) StepUp() core.StepUp { return s.cfg.StepUp }

// ResourceMetadata is the API's Protected Resource Metadata (RFC 9728),
// which Handler serves at its Path and every 401 of the AuthOptions names:
// the resource is Config.PublicURL (in dev mode, URL), the authorization
// server Config.Issuer. Nil outside dev mode without a PublicURL.
func (s *Server) ResourceMetadata() *core.ResourceMetadata { return s.metadata }

// LoginProxy serves the issuer's /v1/auth/ endpoints on this origin: mount
// it at /v1/auth keeping the full path.
func (s *Server) LoginProxy() *authproxy.Proxy { return s.proxy }

// Readiness answers a readiness probe (/readyz): 200 once the signing keys
// are loaded and, with Redis, every revocation has been read once; 503
// naming the components that are not ready otherwise. The body (Readiness)
// holds state, ages and counts, never an error, URL or address.
func (s *Server) Readiness() http.Handler {
	return readinessHandler(func() (int, Readiness) { return readinessOf(s.validator, s.rev) })
}

// ReadinessDetail answers as Readiness does, with each issuer's identifier
// and last error (ReadinessDetail): for operators only. Serve serves it at
// GET /readyz/detail on Config.MetricsAddr, never on the API's listener.
func (s *Server) ReadinessDetail() http.Handler {
	return readinessHandler(func() (int, ReadinessDetail) { return readinessDetailOf(s.validator, s.rev) })
}

// Status is what Readiness answers now: whether the Server is ready and,
// if not, which components keep it from being so.
func (s *Server) Status() Readiness {
	_, r := readinessOf(s.validator, s.rev)
	return r
}

// Metrics serves the Prometheus text format of this Server's registry.
// Serve already serves it at GET /metrics (on Config.MetricsAddr when set).
func (s *Server) Metrics() http.Handler { return s.tel.metrics }

// Logger is the logger every part records through (Config.Logger).
func (s *Server) Logger() *slog.Logger { return s.logger }

// URL is the API's address as a URL: http://host:port as bound.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// ClientID is the client id the back-channel logout receiver takes logout
// tokens for (Config.ClientID, or the development issuer's); empty when
// back-channel logout is off.
func (s *Server) ClientID() string { return s.cfg.ClientID }

// Close releases everything New started: the key refresh, the revocation
// store's connection, the metrics provider, the listeners if Serve did not
// run. It returns once all of it has stopped; later calls return the same
// error.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.introspector != nil {
			errs = append(errs, s.introspector.Close())
		}
		if s.validator != nil {
			errs = append(errs, s.validator.Close())
		}
		if s.tel != nil {
			errs = append(errs, s.tel.close())
		}
		if s.rev != nil {
			errs = append(errs, s.rev.close())
		}
		for _, ln := range []net.Listener{s.ln, s.metricLn} {
			if ln != nil {
				if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
					errs = append(errs, err)
				}
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
