package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/identsphere/identsphere-go/chiauth"
	"github.com/identsphere/identsphere-go/resourceserver"
)

// replica is one serving replica.
type replica struct {
	n      int
	srv    *resourceserver.Server
	served chan error
}

// startReplica builds a replica from base (the shared issuer, Redis and
// dev-mode guards) and serves it until ctx ends.
func startReplica(ctx context.Context, n int, base resourceserver.Config, logger *slog.Logger) (*replica, error) {
	cfg := base
	cfg.Logger = logger
	srv, err := resourceserver.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	r := &replica{n: n, srv: srv, served: make(chan error, 1)}
	go func() { r.served <- srv.Serve(ctx, routes(srv)) }()
	return r, nil
}

// routes are the starters' probes, login proxy and /api/me.
func routes(srv *resourceserver.Server) http.Handler {
	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, map[string]string{"status": "ok"}) })
	r.Get("/readyz", srv.Readiness().ServeHTTP)
	r.Mount("/v1/auth", srv.LoginProxy())
	r.With(chiauth.Middleware(srv.Validator(), srv.AuthOptions()...)).
		Get("/api/me", func(w http.ResponseWriter, r *http.Request) {
			c, _ := chiauth.Claims(r) // always there: the middleware admitted r
			writeJSON(w, map[string]string{"sub": c.Subject, "email": c.Email})
		})
	return r
}

func writeJSON(w http.ResponseWriter, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(body)
}

// wait returns once Serve has (its context ended).
func (r *replica) wait() error { return <-r.served }

func (r *replica) close() error { return r.srv.Close() }
