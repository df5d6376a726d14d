package core_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// coreHandler serves the table's routes with core alone, no adapter.
func coreHandler(v core.TokenVerifier) http.Handler {
	a := core.NewAuthenticator(v)
	guard := func(rules ...core.Rule) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, ok := a.Admit(w, r)
			if !ok || !core.Authorize(w, r, rules...) {
				return
			}
			c, _ := core.ClaimsFrom(r.Context())
			authcases.WriteMe(w, c)
		})
	}
	mux := http.NewServeMux()
	mux.Handle(authcases.PathMe, guard())
	mux.Handle(authcases.PathAdmin, guard(core.RequireScopes("admin")))
	mux.Handle(authcases.PathVerified, guard(core.RequireVerifiedEmail()))
	mux.Handle(authcases.PathStepUp, guard(core.RequireStepUp(authcases.StepUpRoute())))
	mux.Handle(authcases.PathEntraStepUp, guard(core.RequireEntraAuthContext(authcases.EntraContext)))
	// The sender-constrained routes, each with its own Authenticator.
	for _, route := range slices.Concat(authcases.DPoPRoutes(), authcases.CertRoutes(), authcases.ResourceRoutes()) {
		a := core.NewAuthenticator(v, route.Options()...)
		mux.Handle(route.Path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r, ok := a.Admit(w, r); ok {
				c, _ := core.ClaimsFrom(r.Context())
				authcases.WriteMe(w, c)
			}
		}))
	}
	return mux
}

func TestValidatorRules(t *testing.T) {
	env := authcases.NewCatalogueEnv(t)
	srv := authcases.Serve(t, coreHandler(env.Validator))
	for c := range authcases.NewTable(t, env, nil).All() {
		t.Run(c.Name, func(t *testing.T) {
			authcases.Check(t, c, authcases.Do(t, srv.URL, c))
		})
	}
	if hits := env.Trap.Hits(); hits != 0 {
		t.Fatalf("a URL named in a token (jku, x5u) was fetched %d times", hits)
	}
}
