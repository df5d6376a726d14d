package ginauth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/ginauth"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// The claims are found through every door a gin handler has: Claims(c),
// the request's context, and (with ContextWithFallback) the gin context
// itself, including in the read-only copy gin says goroutines must use.
func TestClaimsReachableFromGinContextAndRequest(t *testing.T) {
	env := authcases.NewEnv(t)
	token := env.Issuer.MustMint(authtest.Claims{"sub": "user-7"})
	r := gin.New()
	r.ContextWithFallback = true
	var found []string
	r.GET("/api/me", ginauth.Middleware(env.Validator), func(c *gin.Context) {
		for _, get := range []func() (*core.Claims, bool){
			func() (*core.Claims, bool) { return ginauth.Claims(c) },
			func() (*core.Claims, bool) { return core.ClaimsFrom(c.Request.Context()) },
			func() (*core.Claims, bool) { return core.ClaimsFrom(c) },
			func() (*core.Claims, bool) { return ginauth.Claims(c.Copy()) },
		} {
			if claims, ok := get(); ok {
				found = append(found, claims.Subject)
			}
		}
		c.Status(http.StatusNoContent)
	})
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != http.StatusNoContent || len(found) != 4 {
		t.Fatalf("status %d; claims found %d times of 4: %q", w.Code, len(found), found)
	}
	for _, sub := range found {
		if sub != "user-7" {
			t.Fatalf("found subject %q, want user-7", sub)
		}
	}
}

// A handler that no Middleware guards finds no claims, and no panic.
func TestClaimsWithoutMiddleware(t *testing.T) {
	r := gin.New()
	var ok bool
	r.GET("/open", func(c *gin.Context) {
		_, ok = ginauth.Claims(c)
		c.Status(http.StatusNoContent)
	})
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/open", nil))
	if ok {
		t.Fatal("claims found on an unguarded route")
	}
	if _, ok := ginauth.Claims(&gin.Context{}); ok {
		t.Fatal("claims found in a gin context without a request")
	}
}
