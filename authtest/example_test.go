package authtest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/authtest"
)

// Test a protected handler with a real signed token. The handler here
// verifies the token with golang-jwt against the issuer's live JWKS; in your
// code it is your handler behind the SDK's middleware, pointed at iss.URL().
func Example() {
	iss := authtest.NewIssuer()
	defer iss.Close()

	resp, err := http.Get(iss.JWKSURL())
	if err != nil {
		panic(err)
	}
	jwks, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	keys, err := keyfunc.NewJWKSetJSON(jwks)
	if err != nil {
		panic(err)
	}
	protected := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		token, err := jwt.Parse(raw, keys.Keyfunc,
			jwt.WithValidMethods([]string{"RS256"}),
			jwt.WithIssuer(iss.URL()),
			jwt.WithAudience(iss.Audience()),
			jwt.WithExpirationRequired())
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		sub, _ := token.Claims.GetSubject()
		fmt.Fprintf(w, "hello %s", sub)
	})

	token := iss.MustMint(authtest.Claims{"sub": "alice", "scope": "read"})
	req := httptest.NewRequest(http.MethodGet, "/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	protected.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())

	// An expired token is refused.
	expired := iss.MustMint(authtest.Claims{"sub": "alice", "exp": 1})
	req.Header.Set("Authorization", "Bearer "+expired)
	rec = httptest.NewRecorder()
	protected.ServeHTTP(rec, req)
	fmt.Println(rec.Code)

	// Output:
	// 200 hello alice
	// 401
}
