package authtest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/chiauth"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/ginauth"
)

// These examples are handler tests written without a *testing.T, so that
// they run as examples. In a test, authtest.Start(t) and iss.Validator(t)
// replace the set-up lines (and the deferred Close calls), and
// iss.Request(t, method, target, claims) builds each request.

// newValidator is what iss.Validator(t) does in a test.
func newValidator(iss *authtest.Issuer) *core.Validator {
	v, err := core.New(context.Background(), core.Config{Issuer: iss.URL(), Audience: []string{iss.Audience()}})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), authtest.ReadyTimeout)
	defer cancel()
	if err := v.WaitReady(ctx); err != nil {
		panic(err)
	}
	return v
}

// serve sends req through h and prints the answer.
func serve(h http.Handler, req *http.Request) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(req.Method, req.URL.Path, rec.Code, rec.Body.String())
}

// A chi handler test: the router with its middleware, a token in the
// Authorization header, one in the cookie a browser sends, and none.
func Example_chiHandlerTest() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v := newValidator(iss)
	defer v.Close()

	r := chi.NewRouter()
	r.With(chiauth.Middleware(v)).Get("/api/me", func(w http.ResponseWriter, r *http.Request) {
		claims, _ := chiauth.Claims(r)
		fmt.Fprint(w, claims.Subject)
	})

	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+iss.MustMint(authtest.Claims{"sub": "alice"}))
	serve(r, req)

	req = httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req.AddCookie(&http.Cookie{Name: authtest.CookieName, Value: iss.MustMint(authtest.Claims{"sub": "bob"})})
	serve(r, req)

	serve(r, httptest.NewRequest(http.MethodGet, "/api/me", nil))
	// Output:
	// GET /api/me 200 alice
	// GET /api/me 200 bob
	// GET /api/me 401 {"error_description":"authentication is required"}
}

// A gin handler test: the engine with its middleware and a scope rule.
func Example_ginHandlerTest() {
	gin.SetMode(gin.TestMode) // in a test binary: once, in TestMain
	iss := authtest.NewIssuer()
	defer iss.Close()
	v := newValidator(iss)
	defer v.Close()

	r := gin.New()
	api := r.Group("/api", ginauth.Middleware(v))
	api.GET("/reports", ginauth.RequireScope("reports:read"), func(c *gin.Context) {
		claims, _ := ginauth.Claims(c)
		c.String(http.StatusOK, "reports for %s", claims.Subject)
	})

	req := httptest.NewRequest(http.MethodGet, "/api/reports", nil)
	req.Header.Set("Authorization", "Bearer "+iss.MustMint(authtest.Claims{"sub": "carol", "scope": "reports:read"}))
	serve(r, req)
	// Output:
	// GET /api/reports 200 reports for carol
}

// An expired token is refused with 401 invalid_token, whatever the route.
func Example_expiredToken() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v := newValidator(iss)
	defer v.Close()

	r := chi.NewRouter()
	r.With(chiauth.Middleware(v)).Get("/api/me", func(http.ResponseWriter, *http.Request) {})

	// Expired five minutes ago: past the default leeway of 30 seconds.
	expired := iss.MustMint(authtest.Claims{"exp": time.Now().Add(-5 * time.Minute)})
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+expired)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	fmt.Println(rec.Body.String())
	// Output:
	// 401 Bearer error="invalid_token"
	// {"error":"invalid_token","error_description":"the token has expired"}
}

// A valid token without the scope a route requires is refused with 403
// insufficient_scope, which names the scope.
func Example_missingScope() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v := newValidator(iss)
	defer v.Close()

	r := chi.NewRouter()
	r.Use(chiauth.Middleware(v))
	r.With(chiauth.RequireScope("admin")).Get("/api/admin", func(http.ResponseWriter, *http.Request) {})

	req := httptest.NewRequest(http.MethodGet, "/api/admin", nil)
	req.Header.Set("Authorization", "Bearer "+iss.MustMint(authtest.Claims{"scope": "read write"}))
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	// Output:
	// 403 Bearer error="insufficient_scope", scope="admin"
}

// A handler that reads a claim of your own (here "tenant", an object),
// tested through the middleware with a token that carries it, and alone
// with the same claims in the request's context (authtest.Admitted(t, req,
// claims) in a test).
func Example_customClaim() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v := newValidator(iss)
	defer v.Close()

	type tenantClaims struct {
		Tenant struct {
			ID   string `json:"id"`
			Plan string `json:"plan"`
		} `json:"tenant"`
	}
	billing := func(w http.ResponseWriter, r *http.Request) {
		claims, _ := core.ClaimsFrom(r.Context())
		t, err := core.CustomClaims[tenantClaims](claims)
		if err != nil || t.Tenant.Plan != "pro" {
			http.Error(w, "a pro plan is required", http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "billing of %s", t.Tenant.ID)
	}
	claims := authtest.Claims{"tenant": map[string]any{"id": "acme", "plan": "pro"}}

	// Through the middleware, with a real token.
	req := httptest.NewRequest(http.MethodGet, "/api/billing", nil)
	req.Header.Set("Authorization", "Bearer "+iss.MustMint(claims))
	serve(chiauth.Middleware(v)(http.HandlerFunc(billing)), req)

	// The handler alone, with the claims in the context.
	c, err := core.NewClaims(claims)
	if err != nil {
		panic(err)
	}
	req = httptest.NewRequest(http.MethodGet, "/api/billing", nil)
	serve(http.HandlerFunc(billing), req.WithContext(core.WithClaims(req.Context(), c)))
	// Output:
	// GET /api/billing 200 billing of acme
	// GET /api/billing 200 billing of acme
}

// A token revoked at the issuer (a logout) still passes the local check
// until it expires, but not a route behind RequireFresh, which asks the
// issuer (RFC 7662) on every request.
func Example_revokedTokenOnFreshRoute() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v := newValidator(iss)
	defer v.Close()
	fresh, err := core.NewIntrospector(v, core.IntrospectionConfig{
		ClientID:     authtest.IntrospectionClientID,
		ClientSecret: authtest.IntrospectionClientSecret,
	})
	if err != nil {
		panic(err)
	}
	defer fresh.Close()

	ok := func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "done") }
	r := chi.NewRouter()
	r.Use(chiauth.Middleware(v))
	r.Get("/api/me", ok)
	r.With(chiauth.RequireFresh(fresh)).Post("/api/transfer", ok)

	token := iss.MustMint(nil)
	iss.Revoke(token)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		path := map[string]string{http.MethodGet: "/api/me", http.MethodPost: "/api/transfer"}[method]
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		serve(r, req)
	}
	// Output:
	// GET /api/me 200 done
	// POST /api/transfer 401 {"error":"invalid_token","error_description":"the token is no longer active"}
}
