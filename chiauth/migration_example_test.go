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

// From go-chi/jwtauth (v5): jwtauth.New with a fixed verification key, and
// the Verifier and Authenticator middlewares, become core.New on the
// provider's discovery (its keys fetched and rotated) and chiauth.Middleware;
// jwtauth.FromContext's claims map becomes *core.Claims. jwtauth.Verifier
// read the token from a "jwt" cookie too: core.WithCookieName keeps that
// cookie. (jwtauth.Verify with TokenFromQuery has no counterpart: URLs end
// up in logs.) The README shows the code it replaces.
func ExampleMiddleware_fromJWTAuth() {
	iss := authtest.NewIssuer() // in production: your provider
	defer iss.Close()

	v, err := core.New(context.Background(), core.Config{
		Issuer:   iss.URL(),                // was jwt.WithIssuer, if it was set at all
		Audience: []string{iss.Audience()}, // was jwt.WithAudience; now required
	})
	if err != nil {
		panic(err)
	}
	defer v.Close()
	_ = v.WaitReady(context.Background())

	r := chi.NewRouter()
	r.Group(func(r chi.Router) {
		r.Use(chiauth.Middleware(v, core.WithCookieName("jwt"))) // was jwtauth.Verifier(ja), jwtauth.Authenticator(ja)
		r.Get("/api/me", func(w http.ResponseWriter, r *http.Request) {
			claims, _ := chiauth.Claims(r) // was _, claims, _ := jwtauth.FromContext(r.Context())
			roles, _ := claims.Values(core.ClaimPath{"roles"})
			fmt.Fprint(w, claims.Subject, " ", roles) // was claims["sub"], claims["roles"]
		})
		r.With(chiauth.RequireClaim(core.ClaimPath{"roles"}, "admin")).
			Get("/api/admin", func(w http.ResponseWriter, r *http.Request) {})
	})

	token := iss.MustMint(authtest.Claims{"roles": []string{"billing"}})
	for _, c := range []struct{ path, header, cookie string }{
		{"/api/me", "Bearer " + token, ""},
		{"/api/me", "", token},
		{"/api/me", "", ""},
		{"/api/admin", "Bearer " + token, ""},
	} {
		req := httptest.NewRequest(http.MethodGet, c.path, nil)
		if c.header != "" {
			req.Header.Set("Authorization", c.header)
		}
		if c.cookie != "" {
			req.AddCookie(&http.Cookie{Name: "jwt", Value: c.cookie})
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Println(c.path, rec.Code)
		fmt.Println(rec.Body.String())
	}
	// Output:
	// /api/me 200
	// user-1 [billing]
	// /api/me 200
	// user-1 [billing]
	// /api/me 401
	// {"error_description":"authentication is required"}
	// /api/admin 403
	// {"error":"forbidden","error_description":"the token's roles claim does not hold what this route requires"}
}
