package conformance_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/chiauth"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/ginauth"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/stdauth"
)

// A step-up route costs no allocation on a cache hit, nor does naming the
// resource metadata: each adapter answers /api/stepup (and /api/resource,
// both) with exactly the allocations of /api/me.
func TestStepUpAddsNoAllocation(t *testing.T) {
	env := authcases.NewEnv(t)
	token := env.Issuer.MustMint(authtest.Claims{"acr": "mfa", "auth_time": time.Now()})
	stepUp := authcases.StepUpRoute()
	rm := core.WithResourceMetadata(authcases.ResourceMetadata())
	noContent := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }

	mux := http.NewServeMux()
	mux.Handle("GET /api/me", stdauth.Middleware(env.Validator)(http.HandlerFunc(noContent)))
	mux.Handle(
		"GET /api/stepup",
		stdauth.Middleware(env.Validator)(stdauth.RequireStepUp(stepUp)(http.HandlerFunc(noContent))),
	)
	mux.Handle(
		"GET /api/resource",
		stdauth.Middleware(env.Validator, rm)(stdauth.RequireStepUp(stepUp)(http.HandlerFunc(noContent))),
	)
	cr := chi.NewRouter()
	cr.With(chiauth.Middleware(env.Validator)).Get("/api/me", noContent)
	cr.With(chiauth.Middleware(env.Validator), chiauth.RequireStepUp(stepUp)).Get("/api/stepup", noContent)
	cr.With(chiauth.Middleware(env.Validator, rm), chiauth.RequireStepUp(stepUp)).Get("/api/resource", noContent)
	gr := gin.New()
	ginNoContent := func(c *gin.Context) { c.Status(http.StatusNoContent) }
	gr.GET("/api/me", ginauth.Middleware(env.Validator), ginNoContent)
	gr.GET("/api/stepup", ginauth.Middleware(env.Validator), ginauth.RequireStepUp(stepUp), ginNoContent)
	gr.GET("/api/resource", ginauth.Middleware(env.Validator, rm), ginauth.RequireStepUp(stepUp), ginNoContent)

	for name, h := range map[string]http.Handler{"stdauth": mux, "chiauth": cr, "ginauth": gr} {
		t.Run(name, func(t *testing.T) {
			serve := func(path string) func() {
				return func() {
					r := httptest.NewRequest(http.MethodGet, path, nil)
					r.Header.Set("Authorization", "Bearer "+token)
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != http.StatusNoContent {
						panic(name + " " + path + ": " + http.StatusText(w.Code))
					}
				}
			}
			serve("/api/me")() // fills the cache
			me := fewestAllocs(serve("/api/me"))
			for _, path := range []string{"/api/stepup", "/api/resource"} {
				if n := fewestAllocs(serve(path)); n != me {
					t.Errorf("%s costs %v allocations on a cache hit, /api/me %v", path, n, me)
				}
			}
		})
	}
}
