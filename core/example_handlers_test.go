package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/stdauth"
)

// exampleValidator is the Validator of these examples: for iss's tokens,
// keys loaded, cfg changed by configure. In a test, iss.Validator(t,
// configure) does the same and closes it when the test ends.
func exampleValidator(iss *authtest.Issuer, configure func(*core.Config)) *core.Validator {
	cfg := core.Config{Issuer: iss.URL(), Audience: []string{iss.Audience()}}
	if configure != nil {
		configure(&cfg)
	}
	v, err := core.New(context.Background(), cfg)
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

// exampleServe sends a GET with token (none if "") through h and prints
// the answer.
func exampleServe(h http.Handler, token string) {
	rec := exampleRecord(h, token)
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
}

// exampleServeJSON is exampleServe for an answer with a JSON body: it
// prints the status and Content-Type, then the body indented, one member a
// line.
func exampleServeJSON(h http.Handler, token string) {
	rec := exampleRecord(h, token)
	var body bytes.Buffer
	if err := json.Indent(&body, bytes.TrimSpace(rec.Body.Bytes()), "", "  "); err != nil {
		panic(err)
	}
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(body.String())
}

// exampleRecord sends a GET with token (none if "") through h and returns
// the answer.
func exampleRecord(h http.Handler, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func hello(w http.ResponseWriter, r *http.Request) {
	c, _ := core.ClaimsFrom(r.Context())
	fmt.Fprint(w, "hello ", c.Subject)
}

// Log every refusal, then answer it as usual. The error never holds the
// token (nor does anything in the response), so it is safe to log; its
// category, and the check that failed for an invalid token, say why.
func ExampleWithErrorHandler() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v := exampleValidator(iss, nil)
	defer v.Close()

	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // a fixed output for this example
			}
			return a
		},
	}))
	logRefusal := func(w http.ResponseWriter, r *http.Request, err error) {
		resp := core.NewErrorResponse(err, core.DefaultRealm)
		logger.Warn("request refused", "method", r.Method, "path", r.URL.Path,
			"status", resp.Status, "code", resp.Code, "check", string(core.CheckOf(err)))
		resp.Write(w)
	}
	h := stdauth.Middleware(v, core.WithErrorHandler(logRefusal))(http.HandlerFunc(hello))

	exampleServe(h, iss.MustMint(authtest.Claims{"exp": time.Now().Add(-time.Hour)}))
	exampleServe(h, iss.MustMint(authtest.Claims{"sub": "alice"}))
	// Output:
	// level=WARN msg="request refused" method=GET path=/api/me status=401 code=invalid_token check=exp
	// 401 {"error":"invalid_token","error_description":"the token has expired"}
	// 200 hello alice
}

// Answer refusals in your API's own error format (here RFC 9457 problem
// details), keeping the status, the WWW-Authenticate challenge and
// Retry-After that RFC 6750 clients rely on.
func ExampleWithErrorHandler_customBody() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v := exampleValidator(iss, nil)
	defer v.Close()

	type problem struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
		Code   string `json:"code,omitempty"`
	}
	problemJSON := func(w http.ResponseWriter, _ *http.Request, err error) {
		resp := core.NewErrorResponse(err, core.DefaultRealm)
		h := w.Header()
		if resp.WWWAuthenticate != "" {
			h.Set("WWW-Authenticate", resp.WWWAuthenticate)
		}
		if resp.RetryAfter != "" {
			h.Set("Retry-After", resp.RetryAfter)
		}
		h.Set("Content-Type", "application/problem+json")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(resp.Status)
		_ = json.NewEncoder(w).Encode(problem{
			Type: "about:blank", Title: http.StatusText(resp.Status), Status: resp.Status,
			Detail: resp.Description, Code: resp.Code,
		})
	}
	h := stdauth.Middleware(v, core.WithErrorHandler(problemJSON))(
		stdauth.RequireScope("admin")(http.HandlerFunc(hello)))

	exampleServeJSON(h, "")
	exampleServeJSON(h, iss.MustMint(authtest.Claims{"scope": "read"}))
	// Output:
	// 401 application/problem+json
	// {
	//   "type": "about:blank",
	//   "title": "Unauthorized",
	//   "status": 401,
	//   "detail": "authentication is required"
	// }
	// 403 application/problem+json
	// {
	//   "type": "about:blank",
	//   "title": "Forbidden",
	//   "status": 403,
	//   "detail": "the token lacks a required scope",
	//   "code": "insufficient_scope"
	// }
}

// A rule of your own, on a custom claim. A *PolicyError is answered 403
// forbidden with its description; any other error as 403 with a generic
// one, so that a rule never leaks its internals. Give it to one route
// (stdauth.Require, chiauth.Require, ginauth.Require) or, in
// Config.Rules, to every route.
func ExampleRule() {
	var proPlan core.Rule = func(_ context.Context, c *core.Claims) error {
		account, err := core.CustomClaims[struct {
			Plan string `json:"plan"`
		}](c)
		if err != nil {
			return err // 403, "the token is not allowed here"
		}
		if account.Plan != "pro" {
			return &core.PolicyError{Rule: "plan", Description: "this needs the pro plan"}
		}
		return nil
	}

	iss := authtest.NewIssuer()
	defer iss.Close()
	v := exampleValidator(iss, nil)
	defer v.Close()
	h := stdauth.Middleware(v)(stdauth.Require(proPlan)(http.HandlerFunc(hello)))

	exampleServe(h, iss.MustMint(authtest.Claims{"sub": "alice", "plan": "pro"}))
	exampleServe(h, iss.MustMint(authtest.Claims{"sub": "bob", "plan": "free"}))
	exampleServe(h, iss.MustMint(authtest.Claims{"sub": "carol", "plan": 7})) // not a string: Decode fails
	// Output:
	// 200 hello alice
	// 403 {"error":"forbidden","error_description":"this needs the pro plan"}
	// 403 {"error":"forbidden","error_description":"the token is not allowed here"}
}

// Revoke tokens before they expire, on every route, without asking the
// identity provider: the Validator consults the Denylist after the
// signature and claims checks, on every request, cached tokens included.
// (For several instances, implement core.RevocationChecker over a shared
// store.)
func ExampleDenylist() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	denied := core.NewDenylist(nil)
	v := exampleValidator(iss, func(c *core.Config) { c.Revocation = denied })
	defer v.Close()
	h := stdauth.Middleware(v)(http.HandlerFunc(hello))

	exp := time.Now().Add(time.Hour)
	token := iss.MustMint(authtest.Claims{"sub": "alice", "jti": "token-1", "exp": exp})
	exampleServe(h, token)

	_ = denied.RevokeToken(iss.URL(), "token-1", exp) // the issuer's jti, until the token expires
	exampleServe(h, token)
	// Output:
	// 200 hello alice
	// 401 {"error":"invalid_token","error_description":"the token has been revoked"}
}

// Bound how long a token keeps working after it was issued, whatever its
// exp: a token older than MaxTokenAge (by its iat) is refused.
func ExampleConfig_maxTokenAge() {
	iss := authtest.NewIssuer()
	defer iss.Close()
	v := exampleValidator(iss, func(c *core.Config) { c.MaxTokenAge = 10 * time.Minute })
	defer v.Close()
	h := stdauth.Middleware(v)(http.HandlerFunc(hello))

	exampleServe(h, iss.MustMint(authtest.Claims{"sub": "alice"})) // issued now
	exampleServe(
		h,
		iss.MustMint(authtest.Claims{"sub": "bob", "iat": time.Now().Add(-20 * time.Minute)}),
	) // exp still an hour away
	// Output:
	// 200 hello alice
	// 401 {"error":"invalid_token","error_description":"the token is older than the maximum age"}
}
