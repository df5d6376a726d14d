package chiauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/go-chi/chi/v5"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/chiauth"
	"github.com/identsphere/identsphere-go/core"
)

// Ask the identity provider on the routes where a revoked token must stop
// at once, and keep the fast local check everywhere else.
func ExampleRequireFresh() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v, err := core.New(context.Background(), core.Config{Issuer: iss.URL(), Audience: []string{iss.Audience()}})
	if err != nil {
		panic(err)
	}
	defer v.Close()
	_ = v.WaitReady(context.Background())
	introspector, err := core.NewIntrospector(v, core.IntrospectionConfig{
		ClientID:     authtest.IntrospectionClientID, // your service's credentials at the provider
		ClientSecret: authtest.IntrospectionClientSecret,
	})
	if err != nil {
		panic(err)
	}
	defer introspector.Close()

	ok := func(w http.ResponseWriter, r *http.Request) {}
	r := chi.NewRouter()
	r.Use(chiauth.Middleware(v))
	r.Get("/api/me", ok)
	r.With(chiauth.RequireFresh(introspector)).Post("/api/transfer", ok)

	token := iss.MustMint(nil)
	iss.Revoke(token) // the user logged out; the token has not expired
	for _, route := range []struct{ method, path string }{{"GET", "/api/me"}, {"POST", "/api/transfer"}} {
		req := httptest.NewRequest(route.method, route.path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Println(route.method, route.path, rec.Code)
	}
	// Output:
	// GET /api/me 200
	// POST /api/transfer 401
}
