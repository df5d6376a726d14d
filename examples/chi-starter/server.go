package main

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
	// shutdownTimeout bounds the wait for in-flight requests after a
	// signal; it fits in the 30s grace period of common orchestrators.
	shutdownTimeout = 15 * time.Second
)

// listen binds addr first, apart from serving, so that the bound address
// (a port chosen by the system with ":0") can be logged and announced.
func listen(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(ctx, "tcp", addr)
}

func newServer(h http.Handler, proxyTimeout time.Duration, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      proxyTimeout + writeMargin,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// serve runs srv on ln until ctx ends, then stops accepting connections and
// lets in-flight requests finish, for at most shutdownTimeout.
func serve(ctx context.Context, srv *http.Server, ln net.Listener, logger *slog.Logger) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "cause", context.Cause(ctx).Error())

	// ctx is already done; the drain gets a deadline of its own.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	logger.Info("stopped")
	return nil
}
