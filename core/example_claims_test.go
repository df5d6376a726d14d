package core_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/identsphere/identsphere-go/core"
)

// Test a handler that reads custom claims without any token: NewClaims
// builds the claims a verified token would carry, custom ones included,
// and WithClaims puts them where the middleware would.
func ExampleNewClaims() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		claims, ok := core.ClaimsFrom(r.Context())
		if !ok {
			http.Error(w, "no claims", http.StatusUnauthorized)
			return
		}
		roles, err := core.CustomClaims[struct {
			Roles []string `json:"roles"`
		}](claims)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, claims.Subject, claims.HasScope("write"), roles.Roles)
	}

	c, err := core.NewClaims(map[string]any{"sub": "user-1", "scope": "read write", "roles": []string{"billing"}})
	if err != nil {
		panic(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req = req.WithContext(core.WithClaims(req.Context(), c))
	rec := httptest.NewRecorder()
	handler(rec, req)
	fmt.Print(rec.Body.String())
	// Output: user-1 true [billing]
}

// A Claims struct literal has the typed fields only: Decode says so
// instead of decoding nothing.
func ExampleClaims_Decode() {
	var roles struct{ Roles []string }
	fmt.Println((&core.Claims{Subject: "user-1"}).Decode(&roles) != nil)

	c, _ := core.NewClaims(map[string]any{"sub": "user-1", "roles": []string{"admin"}})
	fmt.Println(c.Decode(&roles), roles.Roles)
	// Output:
	// true
	// <nil> [admin]
}
