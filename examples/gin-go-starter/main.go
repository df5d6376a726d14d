// Command gin-go-starter is a gin service whose /api routes accept only
// IdentSphere access tokens, checked locally on every request.
//
// With IDENTSPHERE_URL unset it runs in dev mode: an embedded development
// issuer on loopback, and a banner with a ready token and curl line. See the
// README for the environment it reads.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/gin-gonic/gin"

	"github.com/identsphere/identsphere-go/authproxy"
	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
)

func main() {
	// gin's debug mode prints to stdout, outside the structured log.
	gin.SetMode(gin.ReleaseMode)
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, restore the default handling so that a second
	// one kills the process should the graceful shutdown hang.
	context.AfterFunc(ctx, stop)

	err := run(ctx, logger, os.LookupEnv, os.Stdout)
	stop()
	if err != nil {
		logger.Error("gin-go-starter failed", "error", err)
		os.Exit(1)
	}
}

// run is the whole program with its dependencies passed in, so that it
// reports failures instead of exiting. It returns nil after a graceful
// shutdown once ctx ends.
func run(ctx context.Context, logger *slog.Logger, lookupEnv func(string) (string, bool), stdout io.Writer) error {
	cfg, err := loadConfig(lookupEnv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}

	var devIssuer *authtest.Issuer
	if cfg.DevMode {
		devIssuer = startDevIssuer(&cfg)
		defer devIssuer.Close()
	}

	// Logouts pushed by the provider (back-channel logout) are refused on
	// every route, cached tokens included, on every replica sharing Redis.
	rev, err := newRevocations(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer rev.close()

	// Metrics (Prometheus, through OpenTelemetry) of every decision, key
	// fetch and introspection call.
	tel, err := newTelemetry()
	if err != nil {
		return err
	}
	defer tel.close()

	// New never blocks: keys load in the background, so the service listens
	// (and answers /healthz) even while the issuer is down.
	v, err := core.New(ctx, core.Config{
		Issuer:       cfg.IssuerURL,
		Audience:     []string{cfg.Audience},
		DisableCache: !cfg.TokenCache,
		Revocation:   rev.checker,
		Logger:       logger,
		Observer:     tel.observer,
		// The kind of token /api takes; a token refused for its kind is
		// logged with the setting that takes it.
		Profile:           cfg.Profile,
		AuthorizedParties: cfg.AuthorizedParties,
		ProfileSetting:    profileVariable,
	})
	if err != nil {
		return err
	}
	defer v.Close()
	if err := tel.observer.Watch(v); err != nil {
		return err
	}
	if err := tel.watchRevocations(rev); err != nil {
		return err
	}

	// Routes that must refuse a revoked token at once ask the issuer
	// (RFC 7662 introspection, discovered) on every request.
	introspector, err := core.NewIntrospector(v, core.IntrospectionConfig{
		Endpoint:     cfg.IntrospectionURL,
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
	})
	if err != nil {
		return err
	}
	defer introspector.Close()

	// /v1/auth/ on this origin is the issuer's login, signup, logout and
	// refresh, so that a browser's session cookie is first-party.
	authProxy, err := authproxy.New(authproxy.Config{
		Issuer:         cfg.IssuerURL,
		Timeout:        cfg.ProxyTimeout,
		TrustedProxies: cfg.TrustedProxies,
		PublicScheme:   cfg.PublicScheme,
		Logger:         logger,
	})
	if err != nil {
		return err
	}

	// Listening before the routes are built: in dev mode, DPoP proofs name
	// the address it got.
	ln, err := listen(ctx, cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close() // for the early returns; Shutdown closes it otherwise
	auth := dpopOptions(cfg, "http://"+ln.Addr().String(), rev.replay, logger)

	handler, err := routes(v, rev, authProxy, introspector, auth...)
	if err != nil {
		return err
	}
	if handler, err = withBackChannelLogout(handler, v, cfg, rev, logger); err != nil {
		return err
	}
	if cfg.MetricsAddr == "" {
		handler = withMetrics(handler, tel.metrics)
	}
	if cfg.DevMode {
		handler = loopbackHostsOnly(handler)
	}
	handler = withRequestID(withAccessLog(handler, logger))

	if cfg.MetricsAddr != "" {
		mln, err := listen(ctx, cfg.MetricsAddr)
		if err != nil {
			return err
		}
		logger.Info("metrics listening", "addr", mln.Addr().String())
		mctx, stop := context.WithCancel(ctx)
		metricsDone := make(chan error, 1)
		go func() { metricsDone <- serveMetrics(mctx, mln, tel.metrics, readyzDetail(v, rev), logger) }()
		defer func() {
			stop() // when run returns, whether ctx ended or not
			if err := <-metricsDone; err != nil {
				logger.Error("metrics server", "error", err)
			}
		}()
	}

	logger.Info("listening", "addr", ln.Addr().String(), "issuer", cfg.IssuerURL, "dev_mode", cfg.DevMode)

	if devIssuer != nil {
		// The dev issuer acts as a provider with back-channel logout: its
		// /v1/auth/logout tells this app at once.
		devIssuer.RegisterBackChannelLogout("http://"+ln.Addr().String()+backChannelPath, cfg.ClientID)
		if err := printBanner(ctx, stdout, devIssuer, v, "http://"+ln.Addr().String()); err != nil {
			return err
		}
	}
	return serve(ctx, newServer(handler, cfg.ProxyTimeout, logger), ln, logger)
}
