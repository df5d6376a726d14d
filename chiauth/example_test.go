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

// Protect a group of chi routes, with a stricter rule on one of them.
func Example() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v, err := core.New(context.Background(), core.Config{Issuer: iss.URL(), Audience: []string{iss.Audience()}})
	if err != nil {
		panic(err)
	}
	defer v.Close()
	_ = v.WaitReady(context.Background())

	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	r.Group(func(r chi.Router) {
		r.Use(chiauth.Middleware(v))
		r.Get("/api/me", func(w http.ResponseWriter, r *http.Request) {
			claims, _ := chiauth.Claims(r)
			fmt.Fprintln(w, "hello", claims.Subject)
		})
		r.With(chiauth.RequireVerifiedEmail()).Get("/api/verified", func(w http.ResponseWriter, r *http.Request) {})
	})

	token := iss.MustMint(authtest.Claims{"email_verified": false})
	for _, path := range []string{"/healthz", "/api/me", "/api/verified"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Println(path, rec.Code)
	}
	// Output:
	// /healthz 200
	// /api/me 200
	// /api/verified 403
}
