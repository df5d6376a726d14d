package migration_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"time"

	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/jwks"
	"github.com/auth0/go-jwt-middleware/v2/validator"

	"github.com/identsphere/identsphere-go/authtest"
)

// AppClaims are the custom claims of the auth0/go-jwt-middleware guide.
type AppClaims struct {
	Plan string `json:"plan"`
}

// Validate refuses a free plan: go-jwt-middleware calls it after the
// standard claims, and answers 401 when it fails.
func (c *AppClaims) Validate(ctx context.Context) error {
	if c.Plan != "pro" {
		return errors.New("this needs the pro plan")
	}
	return nil
}

// The README's "From auth0/go-jwt-middleware", before (v2): its caching JWKS
// provider, validator and middleware, with custom claims. It answers 401 to
// a free plan, where the after (stdauth's
// ExampleMiddleware_fromGoJWTMiddleware) answers 403, and admits a token
// without exp.
func Example_fromGoJWTMiddleware() {
	iss := authtest.NewIssuer(authtest.WithAudience("orders-api")) // in production: your Auth0 tenant
	defer iss.Close()
	issuer, mux := iss.URL(), http.NewServeMux()

	issuerURL, err := url.Parse(issuer)
	if err != nil {
		log.Fatal(err)
	}
	provider := jwks.NewCachingProvider(issuerURL, 5*time.Minute)
	jwtValidator, err := validator.New(provider.KeyFunc, validator.RS256, issuerURL.String(),
		[]string{"orders-api"},
		validator.WithCustomClaims(func() validator.CustomClaims { return &AppClaims{} }), // refuses a free plan
		validator.WithAllowedClockSkew(30*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims := r.Context().Value(jwtmiddleware.ContextKey{}).(*validator.ValidatedClaims)
		app := claims.CustomClaims.(*AppClaims)
		fmt.Fprint(w, claims.RegisteredClaims.Subject, " ", app.Plan)
	})
	mux.Handle("GET /api/me", jwtmiddleware.New(jwtValidator.ValidateToken).CheckJWT(me))

	for _, c := range []struct {
		name   string
		claims authtest.Claims
	}{
		{"pro", authtest.Claims{"plan": "pro"}},
		{"free", authtest.Claims{"plan": "free"}},
		{"other audience", authtest.Claims{"plan": "pro", "aud": "billing-api"}},
		{"no exp", authtest.Claims{"plan": "pro", "exp": nil}},
	} {
		fmt.Printf("%s: %s\n", c.name, serve(mux, "/api/me", iss.MustMint(c.claims)))
	}
	fmt.Println("not a token:", serve(mux, "/api/me", "not-a-token"))
	// Output:
	// pro: 200 "user-1 pro"
	// free: 401
	// other audience: 401
	// no exp: 200 "user-1 pro"
	// not a token: 401
}
