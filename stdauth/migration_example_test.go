package stdauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/stdauth"
)

// The migration guides of the README, compiled and run against a real
// issuer: authtest's, which serves discovery and a JWKS on loopback and signs
// real RS256 tokens, standing in for your provider.

// keyfuncClaimsKey is where the hand-written middleware below puts the claims.
type keyfuncClaimsKey struct{}

// keyfuncMiddleware is the pattern a migration from golang-jwt and keyfunc
// starts from: keyfunc's JWKS cache, golang-jwt's Parse with the options a
// careful guide lists, and a hand-written middleware around them.
func keyfuncMiddleware(k keyfunc.Keyfunc, issuer, audience string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok {
				http.Error(w, "missing token", http.StatusUnauthorized)
				return
			}
			token, err := jwt.Parse(raw, k.Keyfunc,
				jwt.WithValidMethods([]string{"RS256"}),
				jwt.WithIssuer(issuer),
				jwt.WithAudience(audience),
				jwt.WithExpirationRequired())
			if err != nil {
				http.Error(w, "invalid token", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyfuncClaimsKey{}, token.Claims)))
		})
	}
}

// From golang-jwt and keyfunc: the hand-written middleware and its JWKS cache
// become core.New and stdauth.Middleware; jwt.MapClaims become *core.Claims.
// Both admit the same good token and refuse an expired one, one for another
// audience and, with WithExpirationRequired, one without exp; core also
// refuses a token without a subject and an ID token passed as an access
// token, answers per RFC 6750, and logs every refusal.
func ExampleMiddleware_fromGolangJWTAndKeyfunc() {
	iss := authtest.NewIssuer() // in production: your provider
	defer iss.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // stops keyfunc's refresh

	// Before.
	k, err := keyfunc.NewDefaultCtx(ctx, []string{iss.JWKSURL()})
	if err != nil {
		panic(err)
	}
	meBefore := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims := r.Context().Value(keyfuncClaimsKey{}).(jwt.MapClaims)
		sub, _ := claims.GetSubject()
		fmt.Fprint(w, sub)
	})
	before := keyfuncMiddleware(k, iss.URL(), iss.Audience())(meBefore)

	// After.
	v, err := core.New(ctx, core.Config{Issuer: iss.URL(), Audience: []string{iss.Audience()}})
	if err != nil {
		panic(err)
	}
	defer v.Close()
	meAfter := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := core.ClaimsFrom(r.Context())
		fmt.Fprint(w, claims.Subject)
	})
	after := stdauth.Middleware(v)(meAfter)
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
		token := iss.MustMint(c.claims)
		fmt.Printf("%s: before %s, after %s\n", c.name, serve(before, token), serve(after, token))
	}
	// Output:
	// good: before 200 "user-1", after 200 "user-1"
	// expired: before 401, after 401
	// other audience: before 401, after 401
	// no exp: before 401, after 401
	// no sub: before 200 "", after 401
	// an ID token: before 200 "user-1", after 401
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

// From auth0/go-jwt-middleware (v2): jwks.NewCachingProvider, validator.New
// and jwtmiddleware.New become core.New and stdauth.Middleware;
// *validator.ValidatedClaims becomes *core.Claims, and custom claims with
// their Validate method become a struct read by core.CustomClaims in a
// core.Rule (the README shows the code it replaces).
func ExampleMiddleware_fromGoJWTMiddleware() {
	iss := authtest.NewIssuer() // in production: "https://<tenant>.auth0.com/", trailing slash included
	defer iss.Close()

	type appClaims struct {
		Plan string `json:"plan"`
	}
	// What validator.CustomClaims' Validate(ctx) did: a rule, run on every
	// request after the signature and the standard claims.
	proPlan := func(ctx context.Context, c *core.Claims) error {
		app, err := core.CustomClaims[appClaims](c)
		if err != nil {
			return err
		}
		if app.Plan != "pro" {
			return &core.PolicyError{Rule: "plan", Description: "this needs the pro plan"}
		}
		return nil
	}
	v, err := core.New(context.Background(), core.Config{
		Issuer:   iss.URL(),                // validator.New's issuerURL
		Audience: []string{iss.Audience()}, // validator.New's audience
		Leeway:   30 * time.Second,         // validator.WithAllowedClockSkew
		Rules:    []core.Rule{proPlan},     // validator.WithCustomClaims
	})
	if err != nil {
		panic(err)
	}
	defer v.Close()
	_ = v.WaitReady(context.Background())

	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := core.ClaimsFrom(r.Context()) // was r.Context().Value(jwtmiddleware.ContextKey{})
		app, _ := core.CustomClaims[appClaims](claims)
		fmt.Fprint(w, claims.Subject, " ", app.Plan)
	})
	h := stdauth.Middleware(v)(me) // was jwtmiddleware.New(jwtValidator.ValidateToken).CheckJWT(me)

	fmt.Println(serve(h, iss.MustMint(authtest.Claims{"plan": "pro"})))
	fmt.Println(serve(h, iss.MustMint(authtest.Claims{"plan": "free"})))
	fmt.Println(serve(h, "not-a-token"))
	// Output:
	// 200 "user-1 pro"
	// 403
	// 401
}
