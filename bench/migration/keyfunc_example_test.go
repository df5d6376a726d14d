package migration_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/authtest"
)

// claimsKey is where the hand-written middleware of the golang-jwt and
// keyfunc guide puts the claims.
type claimsKey struct{}

// The README's "From golang-jwt and keyfunc", before: keyfunc's JWKS cache
// and golang-jwt's Parse with the options a careful guide lists, in a
// hand-written middleware. It admits a token without a subject and an ID
// token (at_hash) as an access token; the after
// (stdauth's ExampleMiddleware_fromGolangJWTAndKeyfunc) refuses both.
func Example_fromGolangJWTAndKeyfunc() {
	iss := authtest.NewIssuer(authtest.WithAudience("orders-api")) // in production: your provider
	defer iss.Close()
	issuer, jwksURL, mux := iss.URL(), iss.JWKSURL(), http.NewServeMux()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // stops keyfunc's refresh

	k, err := keyfunc.NewDefaultCtx(ctx, []string{jwksURL})
	if err != nil {
		log.Fatal(err)
	}
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok {
				http.Error(w, "missing token", http.StatusUnauthorized)
				return
			}
			token, err := jwt.Parse(raw, k.Keyfunc,
				jwt.WithValidMethods([]string{"RS256"}),
				jwt.WithIssuer(issuer),
				jwt.WithAudience("orders-api"),
				jwt.WithExpirationRequired())
			if err != nil {
				http.Error(w, "invalid token", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, token.Claims)))
		})
	}
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub, _ := r.Context().Value(claimsKey{}).(jwt.MapClaims).GetSubject()
		fmt.Fprint(w, sub)
	})
	mux.Handle("GET /api/me", auth(me))

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
		fmt.Printf("%s: %s\n", c.name, serve(mux, "/api/me", iss.MustMint(c.claims)))
	}
	// Output:
	// good: 200 "user-1"
	// expired: 401
	// other audience: 401
	// no exp: 401
	// no sub: 200 ""
	// an ID token: 200 "user-1"
}
