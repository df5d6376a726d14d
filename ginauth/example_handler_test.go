package ginauth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/ginauth"
)

// Unit-test a gin handler alone, without a router, a token or an issuer:
// put the claims where the middleware would, in the request's context, and
// call the handler with gin's test context. core.NewClaims builds claims
// with custom members; in a test, authtest.Admitted(t, req, claims) does
// both steps, with the defaults of a minted token.
func Example_handlerUnitTest() {
	// The handler under test: it reads a custom claim.
	orders := func(c *gin.Context) {
		claims, ok := ginauth.Claims(c)
		if !ok {
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		extra, err := core.CustomClaims[struct {
			Tenant string `json:"tenant"`
		}](claims)
		if err != nil {
			c.AbortWithStatus(http.StatusInternalServerError)
			return
		}
		c.JSON(http.StatusOK, gin.H{"sub": claims.Subject, "tenant": extra.Tenant})
	}

	claims, err := core.NewClaims(map[string]any{"sub": "user-42", "tenant": "acme"})
	if err != nil {
		panic(err)
	}
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	req := httptest.NewRequest(http.MethodGet, "/api/orders", nil)
	c.Request = req.WithContext(core.WithClaims(req.Context(), claims))
	orders(c)
	fmt.Println(rec.Code, rec.Body.String())

	// Without claims, as if no middleware had run.
	rec = httptest.NewRecorder()
	c, _ = gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest(http.MethodGet, "/api/orders", nil)
	orders(c)
	fmt.Println(rec.Code)
	// Output:
	// 200 {"sub":"user-42","tenant":"acme"}
	// 401
}
