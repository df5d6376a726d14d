package authtest_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/chiauth"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/ginauth"
	"github.com/identsphere/identsphere-go/stdauth"
)

// me is a handler under test: it answers with the caller's subject and the
// tenant custom claim.
func me(w http.ResponseWriter, r *http.Request) {
	c, ok := core.ClaimsFrom(r.Context())
	if !ok {
		http.Error(w, "no claims", http.StatusUnauthorized)
		return
	}
	extra, err := core.CustomClaims[struct {
		Tenant string `json:"tenant"`
	}](c)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "%s@%s", c.Subject, extra.Tenant)
}

// The README's test ("Testing your handlers"), as it is written there, and
// what it relies on: the token reached the handler.
func TestKitReadmeVersion(t *testing.T) {
	iss := authtest.Start(t) // a fake issuer, closed when the test ends
	h := stdauth.Middleware(iss.Validator(t))(http.HandlerFunc(me))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, iss.Request(t, "GET", "/api/me", authtest.Claims{"sub": "alice"}))
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if rec.Body.String() != "alice@" {
		t.Fatalf("body %q, want the subject of the token", rec.Body.String())
	}
}

// A chi router with the middleware and route rules, fed requests with real
// tokens in the header and in the cookie, valid and not.
func TestKitChiRouter(t *testing.T) {
	iss := authtest.Start(t)
	fresh := iss.Introspector(t, iss.Validator(t))
	r := chi.NewRouter()
	r.Group(func(r chi.Router) {
		r.Use(chiauth.Middleware(iss.Validator(t)))
		r.Get("/api/me", me)
		r.With(chiauth.RequireScope("admin")).Get("/api/admin", me)
		r.With(chiauth.RequireFresh(fresh)).Post("/api/transfer", me)
	})
	revoked := iss.Token(t, nil)
	iss.Revoke(revoked)

	alice := authtest.Claims{"sub": "alice", "tenant": "acme"}
	bob, bobAnywhere := authtest.Claims{"sub": "bob", "tenant": "acme"}, authtest.Claims{"sub": "bob"}
	for _, tc := range []struct {
		name string
		req  *http.Request
		want int
		body string
	}{
		{"header", iss.Request(t, "GET", "/api/me", alice), 200, "alice@acme"},
		{"cookie", iss.CookieRequest(t, "GET", "/api/me", bob), 200, "bob@acme"},
		{"cookie, unsafe method", iss.CookieRequest(t, "POST", "/api/transfer", bobAnywhere), 200, "bob@"},
		{"no token", httptest.NewRequest("GET", "/api/me", nil), 401, ""},
		{"expired", iss.Request(t, "GET", "/api/me", authtest.Claims{"exp": time.Now().Add(-time.Hour)}), 401, ""},
		{"wrong audience", iss.Request(t, "GET", "/api/me", authtest.Claims{"aud": "another-api"}), 401, ""},
		{"missing scope", iss.Request(t, "GET", "/api/admin", authtest.Claims{"scope": "read"}), 403, ""},
		{"scope", iss.Request(t, "GET", "/api/admin", authtest.Claims{"scope": "read admin"}), 200, "user-1@"},
		{"revoked, local route", bearer(httptest.NewRequest("GET", "/api/me", nil), revoked), 200, "user-1@"},
		{"revoked, fresh route", bearer(httptest.NewRequest("POST", "/api/transfer", nil), revoked), 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, tc.req)
			if rec.Code != tc.want || (tc.body != "" && rec.Body.String() != tc.body) {
				t.Fatalf("%d %q, want %d %q", rec.Code, rec.Body.String(), tc.want, tc.body)
			}
		})
	}
}

func bearer(r *http.Request, token string) *http.Request {
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// A gin router, and a gin handler called alone with Admitted claims.
func TestKitGin(t *testing.T) {
	gin.SetMode(gin.TestMode)
	iss := authtest.Start(t)
	meGin := func(c *gin.Context) {
		claims, ok := ginauth.Claims(c)
		if !ok {
			c.Status(http.StatusUnauthorized)
			return
		}
		c.String(http.StatusOK, claims.Subject)
	}
	r := gin.New()
	r.GET("/api/me", ginauth.Middleware(iss.Validator(t)), meGin)

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, iss.Request(t, "GET", "/api/me", authtest.Claims{"sub": "alice"}))
	if rec.Code != http.StatusOK || rec.Body.String() != "alice" {
		t.Fatalf("through the router: %d %q", rec.Code, rec.Body.String())
	}

	rec = httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = authtest.Admitted(t, httptest.NewRequest("GET", "/api/me", nil), authtest.Claims{"sub": "carol"})
	meGin(c)
	if rec.Code != http.StatusOK || rec.Body.String() != "carol" {
		t.Fatalf("alone: %d %q", rec.Code, rec.Body.String())
	}
}

// Admitted claims carry the defaults of a minted token, custom claims that
// Decode reads, and nothing for a nil value; rules apply to them.
func TestKitAdmitted(t *testing.T) {
	before := time.Now().Add(-time.Second)
	r := authtest.Admitted(
		t,
		httptest.NewRequest("GET", "/api/me", nil),
		authtest.Claims{"tenant": "acme", "jti": nil, "scope": "read"},
	)
	c, ok := core.ClaimsFrom(r.Context())
	if !ok {
		t.Fatal("no claims in the context")
	}
	switch {
	case c.Subject != authtest.DefaultSubject:
		t.Errorf("sub %q, want %q", c.Subject, authtest.DefaultSubject)
	case !slices.Equal(c.Audience, []string{authtest.DefaultAudience}):
		t.Errorf("aud %q", c.Audience)
	case c.IssuedAt.Before(before.Truncate(time.Second)) || c.IssuedAt.After(time.Now()):
		t.Errorf("iat %v, want now", c.IssuedAt)
	case !c.ExpiresAt.Equal(c.IssuedAt.Add(authtest.DefaultTokenTTL)):
		t.Errorf("exp %v, want iat + %v", c.ExpiresAt, authtest.DefaultTokenTTL)
	case c.ID != "":
		t.Errorf("jti %q, want none (removed)", c.ID)
	case c.Issuer != "":
		t.Errorf("iss %q, want none", c.Issuer)
	}
	rec := httptest.NewRecorder()
	me(rec, r)
	if rec.Body.String() != "user-1@acme" {
		t.Errorf("handler: %d %q", rec.Code, rec.Body.String())
	}
	for _, tc := range []struct {
		scope string
		want  int
	}{{"read", 200}, {"admin", 403}} {
		rec := httptest.NewRecorder()
		stdauth.RequireScope(tc.scope)(http.HandlerFunc(me)).ServeHTTP(rec, r)
		if rec.Code != tc.want {
			t.Errorf("RequireScope(%q): %d, want %d", tc.scope, rec.Code, tc.want)
		}
	}
	a, b := authtest.NewClaims(t, nil), authtest.NewClaims(t, nil)
	if a.ID == "" || a.ID == b.ID {
		t.Errorf("jti %q and %q, want random ones", a.ID, b.ID)
	}
}

// A freshness check has no token to ask about on Admitted claims: it
// refuses them rather than letting them through.
func TestKitAdmittedOnAFreshRoute(t *testing.T) {
	iss := authtest.Start(t)
	h := stdauth.RequireFresh(iss.Introspector(t, iss.Validator(t)))(http.HandlerFunc(me))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, authtest.Admitted(t, httptest.NewRequest("POST", "/api/transfer", nil), nil))
	if rec.Code < 400 {
		t.Fatalf("a fresh route admitted claims without a token: %d %q", rec.Code, rec.Body.String())
	}
}

// Validator applies configure, and everything the kit starts ends with the
// test that started it.
func TestKitCleansUp(t *testing.T) {
	var (
		iss *authtest.Issuer
		v   *core.Validator
	)
	t.Run("inner", func(t *testing.T) {
		iss = authtest.Start(t)
		v = iss.Validator(t, func(c *core.Config) { c.MaxTokenAge = time.Minute })
		if !v.Ready() {
			t.Fatal("the Validator is not ready")
		}
		old := iss.Token(t, authtest.Claims{"iat": time.Now().Add(-time.Hour)})
		var te *core.TokenError
		if _, err := v.Verify(t.Context(), old); !errors.As(err, &te) || te.Check != "iat" {
			t.Fatalf("configure not applied: MaxTokenAge let a token of an hour through: %v", err)
		}
	})
	if v.Ready() {
		t.Error("the Validator is still refreshing keys after its test ended")
	}
	if resp, err := http.Get(iss.URL() + "/.well-known/jwks.json"); err == nil {
		resp.Body.Close()
		t.Error("the issuer still answers after its test ended")
	}
}

// fatalRecorder stands in for a test, to see how the kit fails one: it
// records the message and ends the goroutine, as t.Fatal does.
type fatalRecorder struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.msg = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

// fatalOf runs fn with a recorder in place of t, and returns the message
// it failed the test with ("" if none) and how long that took.
func fatalOf(t *testing.T, fn func(tb testing.TB)) (string, time.Duration) {
	rec := &fatalRecorder{TB: t}
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(rec)
	}()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.msg, time.Since(start)
}

// A misconfigured test fails with the reason, in seconds: a Config that
// core.New refuses at once, keys that never come within ReadyTimeout, claims
// of the wrong type, a token that cannot be minted.
func TestKitFailsFast(t *testing.T) {
	iss := authtest.Start(t)
	msg, _ := fatalOf(t, func(tb testing.TB) {
		iss.Validator(tb, func(c *core.Config) { c.Audience = []string{""} })
	})
	if !strings.Contains(msg, "core.New") || !strings.Contains(msg, "Audience") {
		t.Errorf("a refused Config: %q", msg)
	}

	down := authtest.Start(t)
	down.SetFault(authtest.FaultServerError)
	msg, took := fatalOf(t, func(tb testing.TB) { down.Validator(tb) })
	if !strings.Contains(msg, "no keys after") || !strings.Contains(msg, "500") {
		t.Errorf("an issuer answering 500: %q", msg)
	}
	if took < authtest.ReadyTimeout {
		t.Errorf("gave up after %v, before ReadyTimeout", took)
	}

	msg, _ = fatalOf(t, func(tb testing.TB) { authtest.NewClaims(tb, authtest.Claims{"exp": "tomorrow"}) })
	if !strings.Contains(msg, "exp") {
		t.Errorf("claims of the wrong type: %q", msg)
	}
	msg, _ = fatalOf(t, func(tb testing.TB) { iss.Request(tb, "GET", "/", nil, authtest.SignWith("no-such-kid")) })
	if !strings.Contains(msg, "no-such-kid") {
		t.Errorf("a token that cannot be minted: %q", msg)
	}
}

// The token a kit request carries is a real one from the issuer, in the
// place the request names.
func TestKitRequests(t *testing.T) {
	iss := authtest.Start(t)
	v := iss.Validator(t)
	for _, r := range []*http.Request{
		iss.Request(t, "PUT", "/x", authtest.Claims{"sub": "dave"}),
		iss.CookieRequest(t, "PUT", "/x", authtest.Claims{"sub": "dave"}),
	} {
		token, source, err := core.ExtractToken(r, core.DefaultCookieName, core.DefaultMaxTokenSize)
		if err != nil {
			t.Fatal(err)
		}
		c, err := v.Verify(t.Context(), token)
		if err != nil || c.Subject != "dave" || r.Method != "PUT" || r.URL.Path != "/x" {
			t.Fatalf("%v %v: (%+v, %v)", r.Method, r.URL, c, err)
		}
		if (source == core.FromCookie) != (r.Header.Get("Authorization") == "") {
			t.Fatalf("source %v with headers %v", source, r.Header)
		}
	}
	var payload map[string]any
	tok := iss.Token(t, authtest.Claims{"roles": []string{"a"}})
	c, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Decode(&payload); err != nil || fmt.Sprint(payload["roles"]) != "[a]" {
		t.Fatalf("Token's custom claim: %v, %v", payload, err)
	}
	if _, err := json.Marshal(payload); err != nil {
		t.Fatal(err)
	}
}
