package resourceserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/identsphere/identsphere-go/backchannel"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/revocation/redisstore"
)

// BackChannelPath is where the provider posts back-channel logout tokens:
// the URL to register at the provider, on the API's listener.
const BackChannelPath = "/backchannel-logout"

// revocations is where logouts go and where every request looks them up:
// Redis, shared by every replica, when Config.RedisURL is set (each
// replica keeps them all in memory and Redis is never asked on the request
// path); this process's memory otherwise.
type revocations struct {
	checker core.RevocationChecker
	revoker core.Revoker
	// replay is the DPoP replay cache shared through Redis, so that a proof
	// accepted by one replica is refused by all; nil: each replica keeps
	// its own.
	replay core.ReplayCache
	// logoutReplay does the same for back-channel logout tokens; nil: each
	// replica remembers the ones it accepted.
	logoutReplay backchannel.ReplayStore
	// store is the Redis store, for readiness and metrics; nil without
	// Config.RedisURL.
	store *redisstore.Store
}

func newRevocations(ctx context.Context, cfg Config, logger *slog.Logger) (*revocations, error) {
	if cfg.RedisURL == "" {
		deny := core.NewDenylist(nil)
		return &revocations{checker: deny, revoker: deny.Revoker()}, nil
	}
	store, err := redisstore.New(ctx, redisstore.Config{URL: cfg.RedisURL, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("IDENTSPHERE_REDIS_URL: %w", err)
	}
	replay, err := store.ReplayCache(redisstore.DefaultReplayPrefix)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	logoutReplay, err := store.ReplayCache(redisstore.DefaultLogoutReplayPrefix)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	return &revocations{checker: store, revoker: store, replay: replay, logoutReplay: logoutReplay, store: store}, nil
}

// syncedOnce reports whether revocations can be relied on for readiness:
// always without Redis; with it, once the store has read every denial
// once. A later outage keeps the replica ready (the denials it holds stay
// in force, and fresh routes refuse): the readiness body, the metrics and
// the log show it.
func (r *revocations) syncedOnce() bool {
	return r.store == nil || r.store.Status().SyncedOnce
}

func (r *revocations) close() error {
	if r.store == nil {
		return nil
	}
	return r.store.Close()
}

// backChannelReceiver is the back-channel logout receiver, when this
// service has a client id (the aud of the logout tokens the provider sends
// it); nil otherwise. Each logout revokes only the tokens of the issuer that
// signed it. It answers 200 once the logout is recorded where every replica
// finds it (Redis, or this process without it), 503 with Retry-After while
// Redis is unreachable (the logout is in force on this replica meanwhile;
// the provider posts it again), and 400 to a logout token that is invalid
// or already used (on any replica sharing Redis).
func backChannelReceiver(v *core.Validator, cfg Config, rev *revocations, logger *slog.Logger) (http.Handler, error) {
	if cfg.ClientID == "" {
		logger.Info("no IDENTSPHERE_CLIENT_ID: back-channel logout is off")
		return nil, nil
	}
	return backchannel.NewHandler(backchannel.Config{
		Validator: v,
		ClientID:  cfg.ClientID,
		Revoker:   rev.revoker,
		Replay:    rev.logoutReplay,
		Logger:    logger,
	})
}
