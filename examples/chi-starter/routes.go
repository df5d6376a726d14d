package main

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/identsphere/identsphere-go/chiauth"
	"github.com/identsphere/identsphere-go/resourceserver"
)

// routes maps the service. Everything under /api needs a valid token,
// checked with srv's auth options (DPoP); the probes and the login proxy
// do not. srv adds the rest around them (request ids, the access log,
// /metrics, the back-channel logout receiver).
func routes(srv *resourceserver.Server) http.Handler {
	r := chi.NewRouter()
	r.Get("/healthz", healthz)
	// /readyz: 503 until the signing keys arrive (and, with
	// IDENTSPHERE_REDIS_URL, until every revocation has been read once),
	// naming what is not ready; states, ages and counts only, never an
	// issuer's URL or an error (the detail is at /readyz/detail on
	// METRICS_ADDR).
	r.Get("/readyz", srv.Readiness().ServeHTTP)

	// Mount keeps the full /v1/auth/... path in r.URL.Path, which is what
	// the proxy checks and forwards.
	r.Mount("/v1/auth", srv.LoginProxy())

	// A group, not a sub-router, so that unknown /api paths get 404 rather
	// than an authentication challenge.
	r.Group(func(r chi.Router) {
		// noStore first, so that refusals are marked as well.
		r.Use(noStore, chiauth.Middleware(srv.Validator(), srv.AuthOptions()...))
		r.Get("/api/me", me)
		r.Post("/api/me", me)
		r.With(chiauth.RequireScope("admin")).Get("/api/admin", me)
		r.With(chiauth.RequireVerifiedEmail()).Get("/api/verified", me)
		// Server-sent events for as long as the token lives (events.go).
		r.Get("/api/events", events)
		// A payment must not go through on a token revoked a minute ago:
		// this route asks the issuer every time; the others stay local.
		r.With(chiauth.RequireFresh(srv.Introspector())).Post("/api/transfer", me)
		// Taking over an account starts with changing its email: a token
		// from a password-only login, or from one of last week, must not
		// do it (RFC 9470 step-up: IDENTSPHERE_STEPUP_ACR, _MAX_AGE).
		r.With(chiauth.RequireStepUp(srv.StepUp())).Post("/api/account/email", me)
	})

	r.NotFound(notFound)
	return r
}
