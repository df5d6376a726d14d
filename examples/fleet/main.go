// Command fleet runs a local fleet in one command: a redis-server from
// PATH, one development issuer, and two replicas of the starters' service
// that trust it and share revocations through that Redis, all on
// 127.0.0.1 on free ports. It prints the ports, a token, and the curl lines
// that show a back-channel logout, posted to one replica, refused by both.
// Ctrl-C (or SIGTERM) stops everything; on Linux, redis-server also dies
// with a fleet killed outright (SIGKILL).
//
//	go run ./examples/fleet
//
// The replicas are built in this process with package resourceserver, as
// the starters are, and share the one issuer (as replicas given its URL as
// IDENTSPHERE_URL would), so that a token and a logout mean the same to
// both. The token and the logout token go to stdout, never to the logs
// (stderr, JSON, one "replica" attribute per replica).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/resourceserver"
	"github.com/identsphere/identsphere-go/resourceserver/devissuer"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, a second one kills the process should the
	// graceful stop hang.
	context.AfterFunc(ctx, stop)
	err := run(ctx, logger, os.Stdout)
	stop()
	if err != nil {
		logger.Error("fleet failed", "error", err)
		os.Exit(1)
	}
}

// replicas is how many replicas the fleet runs.
const replicas = 2

// run starts the fleet, prints how to use it, and stops it all once ctx
// ends; it returns nil after a clean stop.
func run(ctx context.Context, logger *slog.Logger, stdout io.Writer) error {
	redis, err := startRedis(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err := redis.stop(); err != nil {
			logger.Error("stopping redis-server", "error", err)
		}
	}()
	logger.Info("redis-server listening", "addr", redis.addr)

	// One development issuer for the whole fleet: base points at it, as
	// IDENTSPHERE_URL and IDENTSPHERE_AUDIENCE would. Dev mode keeps every
	// replica on loopback and refuses other Host names, since the issuer
	// logs in anyone.
	base := resourceserver.Config{
		DevMode:  true,
		Addr:     "127.0.0.1:0",
		RedisURL: redis.url(),
		DPoP:     core.DPoPAllowed,
	}
	iss := devissuer.Start(&base)
	defer iss.Close()

	var fleet []*replica
	defer func() {
		for _, r := range fleet {
			if err := r.close(); err != nil {
				logger.Error("stopping a replica", "replica", r.n, "error", err)
			}
		}
	}()
	for n := 1; n <= replicas; n++ {
		r, err := startReplica(ctx, n, base, logger.With("replica", n))
		if err != nil {
			return fmt.Errorf("replica %d: %w", n, err)
		}
		fleet = append(fleet, r)
	}
	// The issuer's own logout (/v1/auth/logout) tells the first replica,
	// as a provider with back-channel logout tells a service's one URL.
	iss.RegisterBackChannelLogout(fleet[0].srv.URL()+resourceserver.BackChannelPath, base.ClientID)
	if err := announce(ctx, stdout, redis, iss, base.ClientID, fleet); err != nil {
		return err
	}
	<-ctx.Done()
	var errs []error
	for _, r := range fleet {
		if err := r.wait(); err != nil {
			errs = append(errs, fmt.Errorf("replica %d: %w", r.n, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("stopping: %v", errs)
	}
	return nil
}
