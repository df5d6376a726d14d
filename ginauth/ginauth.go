// Package ginauth puts identsphere token validation in front of gin
// routes. It only translates between gin and package core, which makes
// every decision, so gin answers exactly as net/http and chi do.
//
//	r := gin.New()
//	api := r.Group("/api", ginauth.Middleware(v))
//	api.GET("/me", func(c *gin.Context) {
//		claims, _ := ginauth.Claims(c)
//		c.JSON(http.StatusOK, gin.H{"sub": claims.Subject})
//	})
//	api.GET("/admin", ginauth.RequireScope("admin"), admin)
//	r.Any("/v1/auth/*path", gin.WrapH(authProxy)) // an *authproxy.Proxy
//
// Beware gin.Recovery (part of gin.Default): on a panic it logs the request
// with only the Authorization header masked, so an access token sent in the
// identsphere_at cookie lands in your logs; and it swallows the
// http.ErrAbortHandler with which authproxy.Proxy cuts off a truncated
// answer. Prefer gin.New() and net/http's own recovery, or a recovery
// middleware that logs no headers.
package ginauth

import (
	"github.com/gin-gonic/gin"

	"github.com/identsphere/identsphere-go/core"
)

// Middleware admits requests with a valid access token and aborts the
// others with the RFC 6750 answer, never calling later handlers.
//
// The claims are stored once, in the context of the gin context's request
// (c.Request), where [Claims] finds them, and so does code that only sees
// the *http.Request (core.ClaimsFrom(r.Context())); on an engine with
// ContextWithFallback set, core.ClaimsFrom(c) finds them in the gin context
// itself. They are not copied into c.Keys as well: gin makes that map anew
// for every request, and its two allocations per request would buy nothing
// that Claims needs.
func Middleware(v core.TokenVerifier, opts ...core.Option) gin.HandlerFunc {
	a := core.NewAuthenticator(v, opts...)
	return func(c *gin.Context) {
		r, ok := a.Admit(c.Writer, c.Request)
		if !ok {
			c.Abort()
			return
		}
		c.Request = r
		c.Next()
	}
}

// Require applies rules to requests the Middleware admitted, aborting with
// the RFC 6750 answer on failure.
func Require(rules ...core.Rule) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !core.Authorize(c.Writer, c.Request, rules...) {
			c.Abort()
			return
		}
		c.Next()
	}
}

// RequireScope admits tokens that grant every one of scopes.
func RequireScope(scopes ...string) gin.HandlerFunc {
	return Require(core.RequireScopes(scopes...))
}

// RequireClaim admits tokens whose claim at path holds every one of values:
// roles, groups or permissions, wherever the provider puts them (403
// forbidden otherwise). See core.RequireClaim.
func RequireClaim(path core.ClaimPath, values ...string) gin.HandlerFunc {
	return Require(core.RequireClaim(path, values...))
}

// RequireVerifiedEmail admits tokens whose email_verified is true.
func RequireVerifiedEmail() gin.HandlerFunc {
	return Require(core.RequireVerifiedEmail())
}

// RequireStepUp admits tokens whose login meets s (acr, auth_time; 401
// insufficient_user_authentication otherwise). See core.RequireStepUp.
func RequireStepUp(s core.StepUp) gin.HandlerFunc {
	return Require(core.RequireStepUp(s))
}

// RequireFresh asks f (such as a *core.Introspector) on every request
// whether the token is still live at the identity provider, aborting with
// the RFC 6750 answer otherwise.
func RequireFresh(f core.FreshnessChecker) gin.HandlerFunc {
	f = core.MustFreshnessChecker(f)
	return func(c *gin.Context) {
		if !core.Fresh(c.Writer, c.Request, f) {
			c.Abort()
			return
		}
		c.Next()
	}
}

// Claims returns the claims the Middleware stored for this request.
func Claims(c *gin.Context) (*core.Claims, bool) {
	if c.Request == nil {
		return nil, false
	}
	return core.ClaimsFrom(c.Request.Context())
}
