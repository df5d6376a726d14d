package stdauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/stdauth"
)

// Protect a net/http handler, and test it with real tokens from authtest.
func Example() {
	iss := authtest.NewIssuer() // in production: your issuer's URL
	defer iss.Close()

	v, err := core.New(context.Background(), core.Config{Issuer: iss.URL(), Audience: []string{iss.Audience()}})
	if err != nil {
		panic(err)
	}
	defer v.Close()
	_ = v.WaitReady(context.Background())

	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := core.ClaimsFrom(r.Context())
		fmt.Fprintln(w, "hello", claims.Subject)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /api/me", stdauth.Middleware(v)(me))
	mux.Handle("GET /api/admin", stdauth.Middleware(v)(stdauth.RequireScope("admin")(me)))

	for _, path := range []string{"/api/me", "/api/admin"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+iss.MustMint(authtest.Claims{"scope": "read"}))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println(path, rec.Code, rec.Body.String())
	}
	// Output:
	// /api/me 200 hello user-1
	//
	// /api/admin 403 {"error":"insufficient_scope","error_description":"the token lacks a required scope"}
}
