package resourceserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Server timeouts. Without them a slow or idle client holds a connection,
// and a goroutine, for as long as it likes.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	// writeMargin is what WriteTimeout adds to the proxy timeout, so that a
	// slow issuer is answered 504 by the proxy rather than cut off mid-reply.
	writeMargin = 5 * time.Second
	// ShutdownTimeout bounds the wait for in-flight requests once Serve's
	// context ends; it fits in the 30s grace period of common
	// orchestrators.
	ShutdownTimeout = 15 * time.Second
)

// Handler wraps app, your routes, in what every request goes through: a
// request id (X-Request-Id, in the context for core.RequestID), one
// access-log record, in dev mode the loopback-Host check, GET /metrics
// (unless Config.MetricsAddr serves it apart), the back-channel logout
// receiver at BackChannelPath (with Config.ClientID) and the Protected
// Resource Metadata at its Path (with a public URL: see ResourceMetadata). Serve uses it; call
// it yourself only to serve with a server of your own.
func (s *Server) Handler(app http.Handler) http.Handler {
	h := app
	if s.backChannel != nil || s.metadata != nil {
		mux := http.NewServeMux()
		if s.backChannel != nil {
			mux.Handle(BackChannelPath, s.backChannel)
		}
		if s.metadata != nil {
			mux.Handle(s.metadata.Path(), s.metadata)
		}
		mux.Handle("/", app)
		h = mux
	}
	if s.metricLn == nil {
		h = withMetrics(h, s.tel.metrics)
	}
	if s.cfg.DevMode {
		h = loopbackHostsOnly(h)
	}
	return withRequestID(withAccessLog(h, s.logger))
}

// Serve serves app (wrapped by Handler) on the API's listener, and
// /metrics and /readyz/detail (ReadinessDetail) on their own with
// Config.MetricsAddr, until ctx ends (a signal,
// say: signal.NotifyContext). Then it stops accepting connections and lets
// in-flight requests finish, for at most ShutdownTimeout, and returns nil
// after a clean stop. It may be called once. Close the Server afterwards.
func (s *Server) Serve(ctx context.Context, app http.Handler) error {
	if !s.serving.TryLock() {
		return errors.New("resourceserver: Serve called twice")
	}
	srv := s.httpServer(s.Handler(app), s.cfg.ProxyTimeout+writeMargin)
	if s.metricLn == nil {
		return serve(ctx, srv, s.ln, s.logger)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.tel.metrics)
	mux.Handle("GET /readyz/detail", s.ReadinessDetail())
	metricsCtx, stop := context.WithCancel(ctx)
	metricsDone := make(chan error, 1)
	go func() { metricsDone <- serve(metricsCtx, s.httpServer(mux, readTimeout), s.metricLn, nil) }()
	err := serve(ctx, srv, s.ln, s.logger)
	stop() // when the API stops, whether ctx ended or not
	if merr := <-metricsDone; merr != nil {
		s.logger.Error("metrics server", "error", merr)
		err = errors.Join(err, fmt.Errorf("metrics: %w", merr))
	}
	return err
}

func (s *Server) httpServer(h http.Handler, writeTimeout time.Duration) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
}

// serve runs srv on ln until ctx ends, then stops accepting connections and
// lets in-flight requests finish, for at most ShutdownTimeout. A nil logger
// logs nothing (the metrics server, whose stop the API's records cover).
func serve(ctx context.Context, srv *http.Server, ln net.Listener, logger *slog.Logger) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	if logger != nil {
		logger.Info("shutting down", "cause", context.Cause(ctx).Error())
	}
	// ctx is already done; the drain gets a deadline of its own.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	if logger != nil {
		logger.Info("stopped")
	}
	return nil
}
