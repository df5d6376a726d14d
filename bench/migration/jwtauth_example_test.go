package migration_test

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/jwtauth/v5"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/identsphere/identsphere-go/authtest"
)

// The README's "From go-chi/jwtauth", before (v5): the provider's public key
// fixed in the code, and jwtauth's Verifier and Authenticator. Without
// jwt.WithIssuer and jwt.WithAudience it admits a token for another
// audience, which the after (chiauth's ExampleMiddleware_fromJWTAuth)
// refuses.
func Example_fromJWTAuth() {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		log.Fatal(err)
	}
	iss := authtest.NewIssuer(authtest.WithKey("k1", key), authtest.WithAudience("orders-api")) // your provider
	defer iss.Close()
	publicKey, r := &key.PublicKey, chi.NewRouter()

	tokenAuth := jwtauth.New("RS256", nil, publicKey, jwt.WithAcceptableSkew(30*time.Second))
	r.Group(func(r chi.Router) {
		r.Use(jwtauth.Verifier(tokenAuth), jwtauth.Authenticator(tokenAuth))
		r.Get("/api/me", func(w http.ResponseWriter, r *http.Request) {
			_, claims, _ := jwtauth.FromContext(r.Context())
			fmt.Fprint(w, claims["sub"], " ", claims["roles"])
		})
	})

	token := iss.MustMint(authtest.Claims{"roles": []string{"billing"}})
	for _, c := range []struct{ name, header, cookie string }{
		{"header", "Bearer " + token, ""},
		{"cookie", "", token},
		{"none", "", ""},
		{"other audience", "Bearer " + iss.MustMint(authtest.Claims{"aud": "billing-api"}), ""},
	} {
		req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
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
	// other audience: 200 user-1 <nil>
}
