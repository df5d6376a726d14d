package core_test

import (
	"context"
	"fmt"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/stdauth"
)

// The README's recipe "An API gateway that takes ID tokens": a gateway in
// front of its own front end verifies the users' OpenID Connect ID tokens.
// The audience is the front end's client id, since an ID token is issued
// to the client; a verified e-mail is required; the profile claims are
// read into a type of the gateway's own. An access token, an ID token of
// another client and an unverified e-mail are refused.
func ExampleConfig_idTokenGateway() {
	provider := authtest.NewIssuer() // stands in for your OpenID provider
	defer provider.Close()
	ctx, issuer := context.Background(), provider.URL()

	v, err := core.New(ctx, core.Config{
		Issuer:               issuer,                 // your provider, such as "https://id.example.com"
		Audience:             []string{"orders-web"}, // the client id
		Profile:              core.IDTokens,
		RequireVerifiedEmail: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	type user struct {
		Name   string   `json:"name"`
		Groups []string `json:"groups"`
	}
	orders := stdauth.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := core.ClaimsFrom(r.Context())
		u, err := core.CustomClaims[user](claims)
		if err != nil {
			http.Error(w, "bad profile claims", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%s (%s) in %v", u.Name, claims.Email, u.Groups)
	}))

	_ = v.WaitReady(ctx)
	id := authtest.Claims{"aud": "orders-web", "email": "ada@example.com", "email_verified": true,
		"name": "Ada", "groups": []string{"buyers"}, "at_hash": "k2vPX1y4b8_6ZQ3b0Vj1yw"}
	with := func(change authtest.Claims) authtest.Claims {
		c := maps.Clone(id)
		maps.Copy(c, change)
		return c
	}
	atJWT := authtest.WithHeader("typ", "at+jwt") // the header of an access token
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"ID token", provider.MustMint(id)},
		{"e-mail not verified", provider.MustMint(with(authtest.Claims{"email_verified": false}))},
		{"another client's ID token", provider.MustMint(with(authtest.Claims{"aud": "billing-web"}))},
		{"access token", provider.MustMint(with(authtest.Claims{"at_hash": nil}), atJWT)},
	} {
		req := httptest.NewRequest(http.MethodGet, "/orders", nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		rec := httptest.NewRecorder()
		orders.ServeHTTP(rec, req)
		fmt.Printf("%s: %d\n%s\n", tc.name, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// ID token: 200
	// Ada (ada@example.com) in [buyers]
	// e-mail not verified: 403
	// {"error":"forbidden","error_description":"the email address is not verified"}
	// another client's ID token: 401
	// {"error":"invalid_token","error_description":"the token's audience is not accepted"}
	// access token: 401
	// {"error":"invalid_token","error_description":"the token is an access token (typ at+jwt), not an ID token"}
}
