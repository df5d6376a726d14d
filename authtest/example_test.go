package authtest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/stdauth"
)

// Test a protected handler with real signed tokens: the issuer serves
// discovery and its keys on loopback, the Validator fetches them as it
// would in production, and the middleware checks every request.
//
// In a test function, the kit does the same in fewer lines and cleans up
// after the test:
//
//	iss := authtest.Start(t)
//	h := stdauth.Middleware(iss.Validator(t))(http.HandlerFunc(me))
//	rec := httptest.NewRecorder()
//	h.ServeHTTP(rec, iss.Request(t, "GET", "/me", authtest.Claims{"sub": "alice"}))
func Example() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v, err := core.New(context.Background(), core.Config{Issuer: iss.URL(), Audience: []string{iss.Audience()}})
	if err != nil {
		panic(err)
	}
	defer v.Close()
	if err := v.WaitReady(context.Background()); err != nil {
		panic(err)
	}

	me := func(w http.ResponseWriter, r *http.Request) {
		claims, _ := core.ClaimsFrom(r.Context())
		fmt.Fprintf(w, "hello %s", claims.Subject)
	}
	protected := stdauth.Middleware(v)(http.HandlerFunc(me))

	for _, claims := range []authtest.Claims{
		{"sub": "alice", "scope": "read"},
		{"sub": "alice", "exp": 1}, // expired in 1970
	} {
		req := httptest.NewRequest(http.MethodGet, "/me", nil)
		req.Header.Set("Authorization", "Bearer "+iss.MustMint(claims))
		rec := httptest.NewRecorder()
		protected.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// 200 hello alice
	// 401 {"error":"invalid_token","error_description":"the token has expired"}
}
