package conformance_test

import (
	"net/http"
	"slices"
	"sync/atomic"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"

	"github.com/identsphere/identsphere-go/chiauth"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/ginauth"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/stdauth"
)

// Each adapter serves the table's routes the way its users would write
// them. reached counts handler calls, to prove refused requests stop.

func stdHandler(v core.TokenVerifier, reached *atomic.Int64) http.Handler {
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		c, _ := core.ClaimsFrom(r.Context())
		authcases.WriteMe(w, c)
	})
	auth := stdauth.Middleware(v)
	mux := http.NewServeMux()
	mux.Handle(authcases.PathMe, auth(me))
	mux.Handle(authcases.PathAdmin, auth(stdauth.RequireScope("admin")(me)))
	mux.Handle(authcases.PathVerified, auth(stdauth.RequireVerifiedEmail()(me)))
	mux.Handle(authcases.PathStepUp, auth(stdauth.RequireStepUp(authcases.StepUpRoute())(me)))
	mux.Handle(
		authcases.PathEntraStepUp,
		auth(stdauth.Require(core.RequireEntraAuthContext(authcases.EntraContext))(me)),
	)
	for _, route := range slices.Concat(authcases.DPoPRoutes(), authcases.CertRoutes(), authcases.ResourceRoutes()) {
		mux.Handle(route.Path, stdauth.Middleware(v, route.Options()...)(me))
	}
	return mux
}

func chiHandler(v core.TokenVerifier, reached *atomic.Int64) http.Handler {
	me := func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		c, _ := chiauth.Claims(r)
		authcases.WriteMe(w, c)
	}
	r := chi.NewRouter()
	r.Group(func(r chi.Router) {
		r.Use(chiauth.Middleware(v))
		r.Get(authcases.PathMe, me)
		r.Post(authcases.PathMe, me)
		r.With(chiauth.RequireScope("admin")).Get(authcases.PathAdmin, me)
		r.With(chiauth.RequireVerifiedEmail()).Get(authcases.PathVerified, me)
		r.With(chiauth.RequireStepUp(authcases.StepUpRoute())).Get(authcases.PathStepUp, me)
		r.With(chiauth.RequireStepUp(authcases.StepUpRoute())).Post(authcases.PathStepUp, me)
		r.With(chiauth.Require(core.RequireEntraAuthContext(authcases.EntraContext))).Get(authcases.PathEntraStepUp, me)
	})
	for _, route := range slices.Concat(authcases.DPoPRoutes(), authcases.CertRoutes(), authcases.ResourceRoutes()) {
		auth := chiauth.Middleware(v, route.Options()...)
		for _, method := range route.Methods {
			r.With(auth).Method(method, route.Path, http.HandlerFunc(me))
		}
	}
	return r
}

func ginHandler(v core.TokenVerifier, reached *atomic.Int64) http.Handler {
	me := func(c *gin.Context) {
		reached.Add(1)
		claims, _ := ginauth.Claims(c)
		c.JSON(http.StatusOK, authcases.Me(claims))
	}
	r := gin.New()
	api := r.Group("/api", ginauth.Middleware(v))
	api.GET("/me", me)
	api.POST("/me", me)
	api.GET("/admin", ginauth.RequireScope("admin"), me)
	api.GET("/verified", ginauth.RequireVerifiedEmail(), me)
	api.GET("/stepup", ginauth.RequireStepUp(authcases.StepUpRoute()), me)
	api.POST("/stepup", ginauth.RequireStepUp(authcases.StepUpRoute()), me)
	api.GET("/entra-stepup", ginauth.Require(core.RequireEntraAuthContext(authcases.EntraContext)), me)
	for _, route := range slices.Concat(authcases.DPoPRoutes(), authcases.CertRoutes(), authcases.ResourceRoutes()) {
		auth := ginauth.Middleware(v, route.Options()...)
		for _, method := range route.Methods {
			r.Handle(method, route.Path, auth, me)
		}
	}
	return r
}
