package core_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
)

// The usual setup: an issuer, the audience this service answers to, and a
// bounded wait for the keys at start-up (optional: until they arrive,
// requests get 503).
func ExampleNew() {
	ctx := context.Background()
	v, err := core.New(ctx, core.Config{
		Issuer:               "https://id.example.com",
		Audience:             []string{"orders-api"},
		RequireVerifiedEmail: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := v.WaitReady(wait); err != nil {
		log.Printf("starting without keys: %v", err)
	}
}

// Verify a token directly, and tell the failures apart.
func ExampleValidator_Verify() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v, _ := core.New(context.Background(), core.Config{Issuer: iss.URL(), Audience: []string{iss.Audience()}})
	defer v.Close()
	_ = v.WaitReady(context.Background())

	claims, err := v.Verify(context.Background(), iss.MustMint(authtest.Claims{"sub": "user-7", "scope": "read write"}))
	fmt.Println(claims.Subject, claims.HasScope("write"), err)

	_, err = v.Verify(context.Background(), iss.MustMint(authtest.Claims{"exp": time.Now().Add(-time.Hour)}))
	var te *core.TokenError
	fmt.Println(errors.Is(err, core.ErrInvalidToken), errors.As(err, &te) && te.Check == "exp")
	// Output:
	// user-7 true <nil>
	// true true
}

// Test a handler without any token: put claims in the request's context.
func ExampleWithClaims() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		claims, ok := core.ClaimsFrom(r.Context())
		if !ok {
			http.Error(w, "no claims", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "hello ", claims.Subject)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req = req.WithContext(core.WithClaims(req.Context(), &core.Claims{Subject: "user-1"}))
	rec := httptest.NewRecorder()
	handler(rec, req)
	fmt.Println(rec.Body.String())
	// Output: hello user-1
}

// Read claims of your own into your own type.
func ExampleCustomClaims() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v, _ := core.New(context.Background(), core.Config{Issuer: iss.URL(), Audience: []string{iss.Audience()}})
	defer v.Close()
	_ = v.WaitReady(context.Background())

	claims, _ := v.Verify(context.Background(), iss.MustMint(authtest.Claims{"roles": []string{"billing", "support"}}))
	type extra struct {
		Roles []string `json:"roles"`
	}
	e, err := core.CustomClaims[extra](claims)
	fmt.Println(e.Roles, err)
	// Output: [billing support] <nil>
}

// Map any error to its RFC 6750 answer, for a custom error handler.
func ExampleNewErrorResponse() {
	r := core.NewErrorResponse(&core.ScopeError{Required: []string{"admin"}}, core.DefaultRealm)
	fmt.Println(r.Status, r.WWWAuthenticate)
	fmt.Println(string(r.Body))
	// Output:
	// 403 Bearer error="insufficient_scope", scope="admin"
	// {"error":"insufficient_scope","error_description":"the token lacks a required scope"}
}
