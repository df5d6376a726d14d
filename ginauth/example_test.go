package ginauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/ginauth"
)

// Protect a gin route group; read the claims with ginauth.Claims.
func Example() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v, err := core.New(context.Background(), core.Config{Issuer: iss.URL(), Audience: []string{iss.Audience()}})
	if err != nil {
		panic(err)
	}
	defer v.Close()
	_ = v.WaitReady(context.Background())

	r := gin.New()
	api := r.Group("/api", ginauth.Middleware(v))
	api.GET("/me", func(c *gin.Context) {
		claims, _ := ginauth.Claims(c)
		c.JSON(http.StatusOK, gin.H{"sub": claims.Subject})
	})
	api.GET("/admin", ginauth.RequireScope("admin"), func(c *gin.Context) { c.Status(http.StatusOK) })

	for _, auth := range []string{"", "Bearer " + iss.MustMint(authtest.Claims{"sub": "user-42", "scope": "admin"})} {
		for _, path := range []string{"/api/me", "/api/admin"} {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			fmt.Println(path, rec.Code, rec.Body.String())
		}
	}
	// Output:
	// /api/me 401 {"error_description":"authentication is required"}
	// /api/admin 401 {"error_description":"authentication is required"}
	// /api/me 200 {"sub":"user-42"}
	// /api/admin 200
}
