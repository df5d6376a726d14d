// Package chiauth puts identsphere token validation in front of chi
// routes. chi middleware is net/http middleware, so this package is
// package stdauth under chi's names; package core makes every decision.
//
//	r := chi.NewRouter()
//	r.Get("/healthz", healthz)
//	r.Group(func(r chi.Router) {
//		r.Use(chiauth.Middleware(v))
//		r.Get("/api/me", me)
//		r.With(chiauth.RequireScope("admin")).Get("/api/admin", admin)
//	})
//	r.Mount("/v1/auth", authProxy) // an *authproxy.Proxy
package chiauth

import (
	"net/http"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/stdauth"
)

// Middleware admits requests with a valid access token, for r.Use and
// r.With, and answers the others per RFC 6750.
func Middleware(v core.TokenVerifier, opts ...core.Option) func(http.Handler) http.Handler {
	return stdauth.Middleware(v, opts...)
}

// Require applies rules to requests the Middleware admitted.
func Require(rules ...core.Rule) func(http.Handler) http.Handler {
	return stdauth.Require(rules...)
}

// RequireScope admits tokens that grant every one of scopes:
// r.With(chiauth.RequireScope("admin")).Get(...).
func RequireScope(scopes ...string) func(http.Handler) http.Handler {
	return stdauth.RequireScope(scopes...)
}

// RequireClaim admits tokens whose claim at path holds every one of values:
// r.With(chiauth.RequireClaim(core.ClaimPath{"realm_access", "roles"}, "admin")).
func RequireClaim(path core.ClaimPath, values ...string) func(http.Handler) http.Handler {
	return stdauth.RequireClaim(path, values...)
}

// RequireVerifiedEmail admits tokens whose email_verified is true.
func RequireVerifiedEmail() func(http.Handler) http.Handler {
	return stdauth.RequireVerifiedEmail()
}

// RequireStepUp admits tokens whose login meets s (acr, auth_time; 401
// insufficient_user_authentication otherwise):
// r.With(chiauth.RequireStepUp(core.StepUp{ACR: []string{"mfa"}})).Post(...).
func RequireStepUp(s core.StepUp) func(http.Handler) http.Handler {
	return stdauth.RequireStepUp(s)
}

// Claims returns the claims the Middleware stored in r's context.
func Claims(r *http.Request) (*core.Claims, bool) {
	return core.ClaimsFrom(r.Context())
}

// RequireFresh asks f (such as a *core.Introspector) on every request
// whether the token is still live at the identity provider:
// r.With(chiauth.RequireFresh(introspector)).Post("/api/transfer", ...).
func RequireFresh(f core.FreshnessChecker) func(http.Handler) http.Handler {
	return stdauth.RequireFresh(f)
}
