package chiauth_test

import (
	"context"
	"fmt"
	"log"
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
// cookie. The audience is always checked: a token for another API is
// refused, where jwtauth without jwt.WithAudience admitted it. The "before"
// runs on the same tokens in the bench module (bench/migration), so that this
// module does not depend on jwtauth.
func ExampleMiddleware_fromJWTAuth() {
	iss := authtest.NewIssuer(authtest.WithAudience("orders-api")) // in production: your provider
	defer iss.Close()
	ctx, issuer, r := context.Background(), iss.URL(), chi.NewRouter()
	admin := func(w http.ResponseWriter, r *http.Request) {}

	v, err := core.New(ctx, core.Config{Issuer: issuer, Audience: []string{"orders-api"}})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	r.Group(func(r chi.Router) {
		r.Use(chiauth.Middleware(v, core.WithCookieName("jwt"))) // the cookie jwtauth.Verifier also read
		r.Get("/api/me", func(w http.ResponseWriter, r *http.Request) {
			claims, _ := chiauth.Claims(r)
			roles, _ := claims.Values(core.ClaimPath{"roles"})
			fmt.Fprint(w, claims.Subject, " ", roles)
		})
		r.With(chiauth.RequireClaim(core.ClaimPath{"roles"}, "admin")).Get("/api/admin", admin)
	})
	_ = v.WaitReady(ctx) // in tests; a service answers 503 until the keys are in

	token := iss.MustMint(authtest.Claims{"roles": []string{"billing"}})
	for _, c := range []struct{ name, path, header, cookie string }{
		{"header", "/api/me", "Bearer " + token, ""},
		{"cookie", "/api/me", "", token},
		{"none", "/api/me", "", ""},
		{"other audience", "/api/me", "Bearer " + iss.MustMint(authtest.Claims{"aud": "billing-api"}), ""},
		{"not an admin", "/api/admin", "Bearer " + token, ""},
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
		if rec.Code != http.StatusOK {
			fmt.Println(c.name+":", rec.Code) // a refusal's body differs between the libraries
			continue
		}
		fmt.Println(c.name+":", rec.Code, rec.Body.String())
	}
	// Output:
	// header: 200 user-1 [billing]
	// cookie: 200 user-1 [billing]
	// none: 401
	// other audience: 401
	// not an admin: 403
}
