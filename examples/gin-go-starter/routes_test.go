package main

// Tests of the service's routes, in process: real tokens from a fake
// issuer on loopback (package authtest), checked by the same Validator,
// middleware and routes the service runs. They use public packages only,
// so they keep working in your copy of this directory: add a case for every
// route you add, and run them with
//
//	go test ./...

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/resourceserver"
)

// TestMain keeps gin quiet: its default debug mode prints every route.
func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	m.Run()
}

// newTestServer is the service's production setup for the issuer at
// issuerURL, as run builds it, on a free loopback port it does not serve:
// the tests send requests to the routes themselves. It is closed when the
// test ends.
func newTestServer(t *testing.T, issuerURL string) *resourceserver.Server {
	t.Helper()
	srv, err := resourceserver.New(t.Context(), resourceserver.Config{
		Issuer:       issuerURL,
		Audience:     authtest.DefaultAudience,
		Addr:         "127.0.0.1:0",
		ClientID:     authtest.IntrospectionClientID,
		ClientSecret: authtest.IntrospectionClientSecret,
		Logger:       slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// newTestApp returns a fake issuer and the service's routes, configured for
// it as run does. Everything stops when the test ends.
func newTestApp(t *testing.T) (*authtest.Issuer, http.Handler) {
	t.Helper()
	iss := authtest.Start(t)
	srv := newTestServer(t, iss.URL())
	ctx, cancel := context.WithTimeout(t.Context(), authtest.ReadyTimeout)
	defer cancel()
	if err := srv.Validator().WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	app, err := routes(srv)
	if err != nil {
		t.Fatal(err)
	}
	return iss, app
}

func TestRoutes(t *testing.T) {
	iss, app := newTestApp(t)
	alice := authtest.Claims{"sub": "alice", "email": "alice@example.com", "org": "acme", "scope": "read"}
	revoked := iss.Token(t, alice)
	iss.Revoke(revoked) // a logout: revoked at the issuer, not expired
	get := func(path string) *http.Request { return httptest.NewRequest(http.MethodGet, path, nil) }
	withToken := func(r *http.Request, token string) *http.Request {
		r.Header.Set("Authorization", "Bearer "+token)
		return r
	}

	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		body   string // the JSON answer
	}{
		// Public routes.
		{"healthz", get("/healthz"), 200, `{"status":"ok"}`},
		{"unknown route", get("/nope"), 404, `{"error":"not_found","error_description":"There is no such route."}`},
		{
			"unknown /api route",
			iss.Request(t, "GET", "/api/nope", alice),
			404,
			`{"error":"not_found","error_description":"There is no such route."}`,
		},

		// Authenticated: any valid token, in the header or the cookie.
		{
			"me",
			iss.Request(t, "GET", "/api/me", alice),
			200,
			`{"sub":"alice","email":"alice@example.com","org":"acme","scopes":["read"]}`,
		},
		{
			"me, POST",
			iss.Request(t, "POST", "/api/me", alice),
			200,
			`{"sub":"alice","email":"alice@example.com","org":"acme","scopes":["read"]}`,
		},
		{
			"me from the cookie",
			iss.CookieRequest(t, "GET", "/api/me", alice),
			200,
			`{"sub":"alice","email":"alice@example.com","org":"acme","scopes":["read"]}`,
		},
		{"me without a token", get("/api/me"), 401, `{"error_description":"authentication is required"}`},
		{
			"me with an expired token",
			iss.Request(t, "GET", "/api/me", authtest.Claims{"exp": time.Now().Add(-time.Hour)}),
			401,
			`{"error":"invalid_token","error_description":"the token has expired"}`,
		},
		{
			"me with a token for another API",
			iss.Request(t, "GET", "/api/me", authtest.Claims{"aud": "another-api"}),
			401,
			`{"error":"invalid_token","error_description":"the token's audience is not accepted"}`,
		},
		{
			"me with a revoked token (checked locally)",
			withToken(get("/api/me"), revoked),
			200,
			`{"sub":"alice","email":"alice@example.com","org":"acme","scopes":["read"]}`,
		},

		// The admin scope.
		{
			"admin",
			iss.Request(t, "GET", "/api/admin", authtest.Claims{"sub": "root", "scope": "read admin"}),
			200,
			`{"sub":"root","email":"","org":"","scopes":["read","admin"]}`,
		},
		{
			"admin without the scope",
			iss.Request(t, "GET", "/api/admin", alice),
			403,
			`{"error":"insufficient_scope","error_description":"the token lacks a required scope"}`,
		},

		// A verified email.
		{
			"verified",
			iss.Request(t, "GET", "/api/verified", authtest.Claims{"sub": "bob", "email_verified": true}),
			200,
			`{"sub":"bob","email":"","org":""}`,
		},
		{
			"verified, unverified email",
			iss.Request(t, "GET", "/api/verified", authtest.Claims{"email_verified": false}),
			403,
			`{"error":"forbidden","error_description":"the email address is not verified"}`,
		},
		{
			"verified, \"true\" as a string",
			iss.Request(t, "GET", "/api/verified", authtest.Claims{"email_verified": "true"}),
			403,
			`{"error":"forbidden","error_description":"the email address is not verified"}`,
		},

		// Fresh: the issuer is asked on every request.
		{
			"transfer",
			iss.Request(t, "POST", "/api/transfer", alice),
			200,
			`{"sub":"alice","email":"alice@example.com","org":"acme","scopes":["read"]}`,
		},
		{
			"transfer with a revoked token",
			withToken(httptest.NewRequest("POST", "/api/transfer", nil), revoked),
			401,
			`{"error":"invalid_token","error_description":"the token is no longer active"}`,
		},

		// Step-up (the defaults): a second factor, within five minutes.
		{
			"email change after an MFA login",
			iss.Request(t, "POST", "/api/account/email",
				authtest.Claims{"sub": "alice", "acr": "mfa", "auth_time": time.Now()}),
			200,
			`{"sub":"alice","email":"","org":""}`,
		},
		{
			"email change after a password login",
			iss.Request(t, "POST", "/api/account/email", authtest.Claims{"acr": "pwd", "auth_time": time.Now()}),
			401,
			`{"error":"insufficient_user_authentication",` +
				`"error_description":"this operation needs a stronger authentication (acr)"}`,
		},
		{
			"email change after an old MFA login",
			iss.Request(t, "POST", "/api/account/email",
				authtest.Claims{"acr": "mfa", "auth_time": time.Now().Add(-time.Hour)}),
			401,
			`{"error":"insufficient_user_authentication",` +
				`"error_description":"this operation needs a more recent authentication (auth_time)"}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			app.ServeHTTP(rec, tc.req)
			if rec.Code != tc.status || !sameJSON(t, rec.Body.String(), tc.body) {
				t.Fatalf("%d %s, want %d %s", rec.Code, rec.Body, tc.status, tc.body)
			}
			if strings.HasPrefix(tc.req.URL.Path, "/api/") && tc.status != 404 &&
				rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf(
					"Cache-Control %q, want no-store on every answer of an /api route",
					rec.Header().Get("Cache-Control"),
				)
			}
			if tc.status == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("a 401 without a WWW-Authenticate challenge")
			}
		})
	}
}

// Logging in through the login proxy sets the session cookie, which the
// /api routes then accept, as they do for a browser. This one runs over a
// real server on loopback: gin's ResponseWriter claims http.CloseNotifier,
// which httptest.ResponseRecorder lacks, and the proxy's
// httputil.ReverseProxy calls it.
func TestLoginThenCookie(t *testing.T) {
	_, app := newTestApp(t)
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	client := srv.Client()

	resp, err := client.Post(
		srv.URL+"/v1/auth/login",
		"application/json",
		strings.NewReader(`{"email":"dev@example.com","password":"any"}`),
	)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %s", resp.Status)
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == authtest.CookieName {
			session = c
		}
	}
	if session == nil || session.Value == "" {
		t.Fatalf("login set no %s cookie: %v", authtest.CookieName, resp.Header["Set-Cookie"])
	}

	me, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	me.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value})
	resp, err = client.Do(me)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"sub":"` + authtest.SubjectFor(
		"dev@example.com",
	) + `","email":"dev@example.com","org":"` + authtest.DevOrg + `","scopes":["` + authtest.DevScope + `"]}`
	if resp.StatusCode != http.StatusOK || !sameJSON(t, string(body), want) {
		t.Fatalf("me with the session cookie: %s %s, want 200 %s", resp.Status, body, want)
	}
}

// A handler alone, without a token or a router: authtest.Admitted puts the
// claims in the request's context, as the middleware would, and gin's test
// context carries the request.
func TestMeHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = authtest.Admitted(t, httptest.NewRequest(http.MethodGet, "/api/me", nil),
		authtest.Claims{"sub": "carol", "org": "acme", "scope": "read write"})
	me(c)
	want := `{"sub":"carol","email":"","org":"acme","scopes":["read","write"]}`
	if rec.Code != http.StatusOK || !sameJSON(t, rec.Body.String(), want) {
		t.Fatalf("%d %s, want 200 %s", rec.Code, rec.Body, want)
	}
}

// sameJSON reports whether two JSON documents hold the same values.
func sameJSON(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("the expected body %s is not JSON: %v", want, err)
	}
	return json.Unmarshal([]byte(got), &g) == nil && reflect.DeepEqual(g, w)
}

// /readyz through the router, its provider unreachable: 503, and the body
// names neither the provider's address nor the error (the detail is on the
// metrics listener; see TestReadyzTellsStrangersNoAddress).
func TestReadyzRouteNamesNoAddress(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // nothing listens there any more
	app, err := routes(newTestServer(t, closed.URL))
	if err != nil {
		t.Fatal(err)
	}
	// The first key load fails within moments; until it has, the issuer is
	// "loading".
	var rec *httptest.ResponseRecorder
	deadline := time.Now().Add(authtest.ReadyTimeout)
	for {
		rec = httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if strings.Contains(rec.Body.String(), `"refresh_failing":true`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond) // polling the failure, bounded by the deadline
	}
	body := rec.Body.String()
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(body, `"refresh_failing":true`) {
		t.Fatalf("/readyz %d %s, want 503 with the issuer's refresh failing", rec.Code, body)
	}
	for _, leak := range []string{
		strings.TrimPrefix(closed.URL, "http://"),
		"127.0.0.1",
		"refused",
		"dial",
		"last_error",
	} {
		if strings.Contains(body, leak) {
			t.Errorf("/readyz %s holds %q", body, leak)
		}
	}
}
