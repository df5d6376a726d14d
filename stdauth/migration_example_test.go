package stdauth_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/stdauth"
)

// The "after" code of the README's migration guides, compiled and run
// against a real issuer: authtest's, which serves discovery and a JWKS on
// loopback and signs real RS256 tokens, standing in for your provider. The
// "before" code runs on the same tokens in the bench module's
// bench/migration, so that this module does not depend on the libraries it
// replaces.

// From golang-jwt and keyfunc: the hand-written middleware and its JWKS cache
// become core.New and stdauth.Middleware; jwt.MapClaims become *core.Claims.
// Both admit the same good token and refuse an expired one, one for another
// audience and one without exp; core also refuses a token without a subject
// and an ID token passed as an access token, answers per RFC 6750, and logs
// every refusal.
func ExampleMiddleware_fromGolangJWTAndKeyfunc() {
	iss := authtest.NewIssuer(authtest.WithAudience("orders-api")) // in production: your provider
	defer iss.Close()
	ctx, issuer, mux := context.Background(), iss.URL(), http.NewServeMux()

	v, err := core.New(ctx, core.Config{Issuer: issuer, Audience: []string{"orders-api"}})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := core.ClaimsFrom(r.Context())
		fmt.Fprint(w, claims.Subject)
	})
	mux.Handle("GET /api/me", stdauth.Middleware(v)(me))
	_ = v.WaitReady(ctx) // in tests; a service answers 503 until the keys are in

	for _, c := range []struct {
		name   string
		claims authtest.Claims
	}{
		{"good", nil},
		{"expired", authtest.Claims{"exp": time.Now().Add(-time.Hour)}},
		{"other audience", authtest.Claims{"aud": "billing-api"}},
		{"no exp", authtest.Claims{"exp": nil}},
		{"no sub", authtest.Claims{"sub": nil}},
		{"an ID token", authtest.Claims{"at_hash": "x3hHdJBpfn0HvEDZJwNGDQ"}},
	} {
		fmt.Printf("%s: %s\n", c.name, serve(mux, iss.MustMint(c.claims)))
	}
	// Output:
	// good: 200 "user-1"
	// expired: 401
	// other audience: 401
	// no exp: 401
	// no sub: 401
	// an ID token: 401
}

// serve sends token to h and says what came back.
func serve(h http.Handler, token string) string {
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return fmt.Sprint(rec.Code)
	}
	return fmt.Sprintf("%d %q", rec.Code, rec.Body.String())
}

// AppClaims are the custom claims of the auth0/go-jwt-middleware guide, now
// a plain struct that core.CustomClaims decodes.
type AppClaims struct {
	Plan string `json:"plan"`
}

// From auth0/go-jwt-middleware (v2): jwks.NewCachingProvider, validator.New
// and jwtmiddleware.New become core.New and stdauth.Middleware;
// *validator.ValidatedClaims becomes *core.Claims, and custom claims with
// their Validate method become a struct read by core.CustomClaims in a
// core.Rule, whose refusal is a 403 where go-jwt-middleware answered 401.
// A token without exp is refused, where go-jwt-middleware admitted it.
func ExampleMiddleware_fromGoJWTMiddleware() {
	iss := authtest.NewIssuer(authtest.WithAudience("orders-api")) // in production: your Auth0 tenant
	defer iss.Close()
	ctx, issuer, mux := context.Background(), iss.URL(), http.NewServeMux()

	proPlan := func(ctx context.Context, c *core.Claims) error { // was AppClaims.Validate
		app, err := core.CustomClaims[AppClaims](c)
		if err != nil {
			return err
		}
		if app.Plan != "pro" {
			return &core.PolicyError{Rule: "plan", Description: "this needs the pro plan"}
		}
		return nil
	}
	v, err := core.New(ctx, core.Config{
		Issuer:   issuer,
		Audience: []string{"orders-api"},
		Leeway:   30 * time.Second,
		Rules:    []core.Rule{proPlan},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := core.ClaimsFrom(r.Context())
		app, _ := core.CustomClaims[AppClaims](claims)
		fmt.Fprint(w, claims.Subject, " ", app.Plan)
	})
	mux.Handle("GET /api/me", stdauth.Middleware(v)(me))
	_ = v.WaitReady(ctx)

	for _, c := range []struct {
		name   string
		claims authtest.Claims
	}{
		{"pro", authtest.Claims{"plan": "pro"}},
		{"free", authtest.Claims{"plan": "free"}},
		{"other audience", authtest.Claims{"plan": "pro", "aud": "billing-api"}},
		{"no exp", authtest.Claims{"plan": "pro", "exp": nil}},
	} {
		fmt.Printf("%s: %s\n", c.name, serve(mux, iss.MustMint(c.claims)))
	}
	fmt.Println("not a token:", serve(mux, "not-a-token"))
	// Output:
	// pro: 200 "user-1 pro"
	// free: 403
	// other audience: 401
	// no exp: 401
	// not a token: 401
}
