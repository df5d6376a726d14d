// Package stdauth puts identsphere token validation in front of net/http
// handlers. It only translates between net/http and package core, which
// makes every decision.
//
//	v, err := core.New(ctx, core.Config{
//		Issuer:   "https://id.example.com",
//		Audience: []string{"orders-api"},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer v.Close()
//
//	mux := http.NewServeMux()
//	mux.Handle("GET /api/me", stdauth.Middleware(v)(me))
//	mux.Handle("GET /api/admin", stdauth.Middleware(v)(stdauth.RequireScope("admin")(admin)))
package stdauth

import (
	"net/http"

	"github.com/identsphere/identsphere-go/core"
)

// Middleware admits requests with a valid access token and answers the
// others per RFC 6750. Handlers read the claims with [core.ClaimsFrom].
// Options (realm, cookie name, error handler, rules...) are core.Option.
func Middleware(v core.TokenVerifier, opts ...core.Option) func(http.Handler) http.Handler {
	a := core.NewAuthenticator(v, opts...)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r, ok := a.Admit(w, r); ok {
				next.ServeHTTP(w, r)
			}
		})
	}
}

// Require applies rules to requests the Middleware admitted: put it after
// Middleware on the routes that need more than a valid token.
func Require(rules ...core.Rule) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if core.Authorize(w, r, rules...) {
				next.ServeHTTP(w, r)
			}
		})
	}
}

// RequireScope admits tokens that grant every one of scopes (403
// insufficient_scope otherwise).
func RequireScope(scopes ...string) func(http.Handler) http.Handler {
	return Require(core.RequireScopes(scopes...))
}

// RequireClaim admits tokens whose claim at path holds every one of values:
// roles, groups or permissions, wherever the provider puts them (403
// forbidden otherwise). See core.RequireClaim.
func RequireClaim(path core.ClaimPath, values ...string) func(http.Handler) http.Handler {
	return Require(core.RequireClaim(path, values...))
}

// RequireVerifiedEmail admits tokens whose email_verified is true (403
// forbidden otherwise).
func RequireVerifiedEmail() func(http.Handler) http.Handler {
	return Require(core.RequireVerifiedEmail())
}

// RequireStepUp admits tokens whose login meets s: its acr and how recent
// its auth_time (401 insufficient_user_authentication with acr_values and
// max_age otherwise, RFC 9470). See core.RequireStepUp.
func RequireStepUp(s core.StepUp) func(http.Handler) http.Handler {
	return Require(core.RequireStepUp(s))
}

// RequireFresh asks f (such as a *core.Introspector) on every request
// whether the token is still live at the identity provider, for routes
// where a revoked but unexpired token must not pass (payments, account
// changes). Other routes keep the fast local check.
func RequireFresh(f core.FreshnessChecker) func(http.Handler) http.Handler {
	f = core.MustFreshnessChecker(f)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if core.Fresh(w, r, f) {
				next.ServeHTTP(w, r)
			}
		})
	}
}
