package main

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/identsphere/identsphere-go/authproxy"
	"github.com/identsphere/identsphere-go/chiauth"
	"github.com/identsphere/identsphere-go/core"
)

// routes maps the service. Everything under /api needs a valid token,
// checked with the auth options (DPoP); the probes and the login proxy do
// not.
func routes(v *core.Validator, rev *revocations, authProxy *authproxy.Proxy, fresh core.FreshnessChecker, auth ...core.Option) http.Handler {
	r := chi.NewRouter()
	r.Get("/healthz", healthz)
	r.Get("/readyz", readyz(v, rev))

	// Mount keeps the full /v1/auth/... path in r.URL.Path, which is what
	// the proxy checks and forwards.
	r.Mount("/v1/auth", authProxy)

	// A group, not a sub-router, so that unknown /api paths get 404 rather
	// than an authentication challenge.
	r.Group(func(r chi.Router) {
		// noStore first, so that refusals are marked as well.
		r.Use(noStore, chiauth.Middleware(v, auth...))
		r.Get("/api/me", me)
		r.Post("/api/me", me)
		r.With(chiauth.RequireScope("admin")).Get("/api/admin", me)
		r.With(chiauth.RequireVerifiedEmail()).Get("/api/verified", me)
		// A payment must not go through on a token revoked a minute ago:
		// this route asks the issuer every time; the others stay local.
		r.With(chiauth.RequireFresh(fresh)).Post("/api/transfer", me)
	})

	r.NotFound(notFound)
	return r
}
