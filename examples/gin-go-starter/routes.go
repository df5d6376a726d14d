package main

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/identsphere/identsphere-go/ginauth"
	"github.com/identsphere/identsphere-go/resourceserver"
)

// routes maps the service. Everything under /api needs a valid token,
// checked with srv's auth options (DPoP); the probes and the login proxy
// do not. srv adds the rest around them (request ids, the access log,
// /metrics, the back-channel logout receiver).
//
// There is deliberately no gin.Recovery: net/http already recovers a
// panicking handler and logs it through the server's ErrorLog, whereas
// gin.Recovery would log the request's cookies, access token included, and
// would swallow the http.ErrAbortHandler with which the login proxy cuts off
// a truncated answer, so that it would pass for a complete one.
func routes(srv *resourceserver.Server) (http.Handler, error) {
	r := gin.New()
	// No proxy in front is trusted to tell the client's address; set yours
	// here if you read c.ClientIP() behind a load balancer.
	if err := r.SetTrustedProxies(nil); err != nil {
		return nil, err
	}
	// Answer a known path with the wrong method 405 with Allow, as chi and
	// net/http do, rather than 404.
	r.HandleMethodNotAllowed = true
	// No redirects to the path with or without a trailing slash, or to a
	// case-corrected one: gin builds their Location from X-Forwarded-Prefix,
	// which any client can send, whatever SetTrustedProxies says. An API's
	// clients call the right path; the others get 404.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false

	r.GET("/healthz", healthz)
	// /readyz: 503 until the signing keys arrive (and, with
	// IDENTSPHERE_REDIS_URL, until every revocation has been read once),
	// naming what is not ready; states, ages and counts only, never an
	// issuer's URL or an error (the detail is at /readyz/detail on
	// METRICS_ADDR).
	r.GET("/readyz", gin.WrapH(srv.Readiness()))

	// gin.WrapH keeps the full /v1/auth/... path in c.Request.URL.Path,
	// which is what the proxy checks and forwards.
	r.Any("/v1/auth/*path", gin.WrapH(srv.LoginProxy()))

	// noStore first, so that refusals are marked as well.
	api := r.Group("/api", noStore, ginauth.Middleware(srv.Validator(), srv.AuthOptions()...))
	api.GET("/me", me)
	api.POST("/me", me)
	api.GET("/admin", ginauth.RequireScope("admin"), me)
	api.GET("/verified", ginauth.RequireVerifiedEmail(), me)
	// Server-sent events for as long as the token lives (events.go).
	api.GET("/events", events)
	// A payment must not go through on a token revoked a minute ago: this
	// route asks the issuer every time; the others stay local.
	api.POST("/transfer", ginauth.RequireFresh(srv.Introspector()), me)
	// Taking over an account starts with changing its email: a token from
	// a password-only login, or from one of last week, must not do it (RFC
	// 9470 step-up: IDENTSPHERE_STEPUP_ACR, _MAX_AGE).
	api.POST("/account/email", ginauth.RequireStepUp(srv.StepUp()), me)

	r.NoRoute(notFound)
	return r, nil
}
