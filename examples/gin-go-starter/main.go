// Command gin-go-starter is a gin service whose /api routes accept only
// IdentSphere access tokens, checked locally on every request.
//
// Its production setup (configuration from the environment, revocations in
// memory or Redis, back-channel logout, DPoP, the login proxy, metrics,
// request ids, access logs, readiness, graceful shutdown) is package
// resourceserver's; this directory is the router and the routes. With
// IDENTSPHERE_URL unset it runs in dev mode: an embedded development issuer
// on loopback (package devissuer), and a banner with a ready token and curl
// line. See the README for the environment it reads.
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

	"github.com/identsphere/identsphere-go/resourceserver"
	"github.com/identsphere/identsphere-go/resourceserver/devissuer"
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
	cfg, err := resourceserver.FromEnv(lookupEnv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	cfg.Logger = logger

	var dev *devissuer.Issuer
	if cfg.DevMode {
		dev = devissuer.Start(&cfg)
		defer dev.Close()
	}

	srv, err := resourceserver.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()

	if dev != nil {
		// The dev issuer acts as a provider with back-channel logout (its
		// /v1/auth/logout tells this app at once); the banner shows once
		// tokens can be checked.
		if err := dev.Announce(ctx, stdout, srv); err != nil {
			return err
		}
	}
	handler, err := routes(srv)
	if err != nil {
		return err
	}
	return srv.Serve(ctx, handler)
}
