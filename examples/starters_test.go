//go:build unix

package examples_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/starterproc"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// audience is what the test issuer mints for and the starters expect.
const audience = "orders-api"

// The WWW-Authenticate challenges of the contract.
const (
	challengeMissing = `Bearer realm="identsphere"`
	challengeRequest = `Bearer error="invalid_request"`
	challengeToken   = `Bearer error="invalid_token"`
	challengeAdmin   = `Bearer error="insufficient_scope", scope="admin"`
)

// The user the table's tokens speak for.
var user = authtest.Claims{"sub": "user-42", "email": "ada@example.com", "org": "acme"}

// with returns user's claims with extra added; a nil value removes a claim.
func with(extra authtest.Claims) authtest.Claims {
	c := maps.Clone(user)
	maps.Copy(c, extra)
	return c
}

// newIssuer starts a fake issuer with the fixed test key, closed when the
// test ends.
func newIssuer(t *testing.T) *authtest.Issuer {
	iss := authtest.NewIssuer(authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()), authtest.WithAudience(audience))
	t.Cleanup(iss.Close)
	return iss
}

// startAgainst runs a starter against the issuer at issuerURL.
func startAgainst(t *testing.T, bin, issuerURL string, env ...string) *app {
	t.Helper()
	base := []string{"IDENTSPHERE_URL=" + issuerURL, "IDENTSPHERE_AUDIENCE=" + audience, "ADDR=127.0.0.1:0"}
	return startApp(t, bin, append(base, env...)...)
}

// waitReady waits for /readyz to answer 200, as a deployment would.
func (a *app) waitReady(t *testing.T) {
	t.Helper()
	if took, ok := eventually(10*time.Second, func() bool {
		return a.send(t, request{path: "/readyz"}).status == http.StatusOK
	}); !ok {
		t.Fatalf("/readyz not 200 after %v", took)
	}
}

func bearer(token string) []string { return []string{"Bearer " + token} }

// contractCase is one request and the answer the contract requires.
type contractCase struct {
	name      string
	req       request
	status    int
	challenge string // exact WWW-Authenticate; "" means none
	code      string // JSON "error" of a failure; "" means absent or empty
}

// TestContract drives each starter with the contract's table: the routes,
// where tokens come from, and every RFC 6750 failure.
func TestContract(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		iss := newIssuer(t)
		a := startAgainst(t, bin, iss.URL())
		a.waitReady(t)

		mint := func(c authtest.Claims, opts ...authtest.MintOption) string { return iss.MustMint(c, opts...) }
		now := time.Now()
		valid := mint(user)
		crossSite := map[string]string{"Sec-Fetch-Site": "cross-site"}

		ok := func(name string, r request) contractCase {
			return contractCase{name: name, req: r, status: http.StatusOK}
		}
		invalidToken := func(name, token string) contractCase {
			return contractCase{name: name, req: request{path: "/api/me", auth: bearer(token)},
				status: http.StatusUnauthorized, challenge: challengeToken, code: "invalid_token"}
		}
		invalidRequest := func(name string, auth ...string) contractCase {
			return contractCase{name: name, req: request{path: "/api/me", auth: auth},
				status: http.StatusBadRequest, challenge: challengeRequest, code: "invalid_request"}
		}
		forbidden := func(name string, r request) contractCase {
			return contractCase{name: name, req: r, status: http.StatusForbidden, code: "forbidden"}
		}

		cases := []contractCase{
			ok("healthz", request{path: "/healthz"}),
			ok("readyz", request{path: "/readyz"}),

			ok("GET /api/me with bearer", request{path: "/api/me", auth: bearer(valid)}),
			ok("POST /api/me with bearer", request{method: http.MethodPost, path: "/api/me", auth: bearer(valid)}),
			ok("cookie", request{path: "/api/me", cookie: valid}),
			ok("header wins over a bad cookie", request{path: "/api/me", auth: bearer(valid), cookie: "garbage"}),
			{
				name:      "bad header wins over a good cookie",
				req:       request{path: "/api/me", auth: bearer("x.y.z"), cookie: valid},
				status:    http.StatusUnauthorized,
				challenge: challengeToken,
				code:      "invalid_token",
			},

			{
				name:      "no token",
				req:       request{path: "/api/me"},
				status:    http.StatusUnauthorized,
				challenge: challengeMissing,
			},
			invalidRequest("Basic scheme", "Basic dXNlcjpwYXNz"),
			invalidRequest("empty Bearer", "Bearer"),
			invalidRequest("two Authorization headers", "Bearer "+valid, "Bearer "+valid),

			invalidToken("not a JWS", "not-a-token"),
			invalidToken("expired", mint(with(authtest.Claims{"exp": now.Add(-time.Hour)}))),
			invalidToken("not valid yet", mint(with(authtest.Claims{"nbf": now.Add(time.Hour)}))),
			invalidToken("other audience", mint(with(authtest.Claims{"aud": "other-api"}))),
			invalidToken("other issuer", mint(with(authtest.Claims{"iss": "https://evil.example"}))),
			invalidToken("no subject", mint(with(authtest.Claims{"sub": nil}))),
			invalidToken(
				"forged with another key",
				mint(user, authtest.SignWithKey(testkeys.AttackerRSA(), testkeys.KIDRSA)),
			),
			invalidToken("alg none", mint(user, authtest.WithAlg("none"))),
			invalidToken(
				"HS256 keyed with a guess",
				mint(user, authtest.SignWithSecret([]byte("secret"), testkeys.KIDRSA)),
			),
			invalidToken("over 16 KiB", valid+strings.Repeat("A", core.DefaultMaxTokenSize)),

			ok(
				"admin scope",
				request{path: "/api/admin", auth: bearer(mint(with(authtest.Claims{"scope": "read admin"})))},
			),
			{name: "missing scope", req: request{path: "/api/admin", auth: bearer(valid)},
				status: http.StatusForbidden, challenge: challengeAdmin, code: "insufficient_scope"},
			{name: "invalid token on a scoped route", req: request{path: "/api/admin", auth: bearer("x.y.z")},
				status: http.StatusUnauthorized, challenge: challengeToken, code: "invalid_token"},

			ok(
				"email verified",
				request{path: "/api/verified", auth: bearer(mint(with(authtest.Claims{"email_verified": true})))},
			),
			forbidden(
				"email not verified",
				request{path: "/api/verified", auth: bearer(mint(with(authtest.Claims{"email_verified": false})))},
			),
			forbidden("email_verified missing", request{path: "/api/verified", auth: bearer(valid)}),

			forbidden(
				"cross-site POST with cookie",
				request{method: http.MethodPost, path: "/api/me", cookie: valid, header: crossSite},
			),
			forbidden(
				"cross-origin POST with cookie (Origin only)",
				request{method: http.MethodPost, path: "/api/me", cookie: valid,
					header: map[string]string{"Origin": "https://evil.example"}},
			),
			ok(
				"cross-site POST with bearer",
				request{method: http.MethodPost, path: "/api/me", auth: bearer(valid), header: crossSite},
			),
			ok("cross-site GET with cookie", request{path: "/api/me", cookie: valid, header: crossSite}),
			ok("same-origin POST with cookie", request{method: http.MethodPost, path: "/api/me", cookie: valid,
				header: map[string]string{"Sec-Fetch-Site": "same-origin"}}),

			{name: "unknown route", req: request{path: "/nope"}, status: http.StatusNotFound, code: "not_found"},
			{
				name:   "unknown /api route needs no token to be unknown",
				req:    request{path: "/api/nope"},
				status: http.StatusNotFound,
				code:   "not_found",
			},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				checkAnswer(t, c, a.send(t, c.req))
			})
		}

		t.Run("wrong method", func(t *testing.T) {
			ans := a.send(t, request{method: http.MethodDelete, path: "/api/me", auth: bearer(valid)})
			// chi sends one Allow line per method, gin one list.
			allow := strings.Join(ans.header.Values("Allow"), ", ")
			if ans.status != http.StatusMethodNotAllowed || !strings.Contains(allow, "GET") ||
				!strings.Contains(allow, "POST") {
				t.Errorf("DELETE /api/me: status %d, Allow %q; want 405 naming GET and POST", ans.status, allow)
			}
		})
	})
}

// checkAnswer asserts that ans is what c requires, and that it does not
// echo any token c sent.
func checkAnswer(t *testing.T, c contractCase, ans answer) {
	t.Helper()
	if ans.status != c.status {
		t.Errorf("status %d, want %d (body %s)", ans.status, c.status, ans.body)
	}
	if got := ans.header.Get("WWW-Authenticate"); got != c.challenge {
		t.Errorf("WWW-Authenticate %q, want %q", got, c.challenge)
	}
	if mt, _, _ := mime.ParseMediaType(ans.header.Get("Content-Type")); mt != "application/json" {
		t.Errorf("Content-Type %q, want JSON", ans.header.Get("Content-Type"))
	}
	var body struct {
		Sub, Org, Email string
		Error           string `json:"error"`
		Description     string `json:"error_description"`
	}
	if err := json.Unmarshal(ans.body, &body); err != nil {
		t.Fatalf("body is not JSON: %q", ans.body)
	}
	switch {
	case c.status == http.StatusOK && strings.HasPrefix(c.req.path, "/api/"):
		if body.Sub != user["sub"] || body.Org != user["org"] || body.Email != user["email"] {
			t.Errorf("body %s, want the token's sub, org and email", ans.body)
		}
	case c.status >= 400:
		if body.Error != c.code {
			t.Errorf("error %q, want %q", body.Error, c.code)
		}
		if body.Description == "" {
			t.Errorf("no error_description: %s", ans.body)
		}
	}
	secrets := append([]string{c.req.cookie}, c.req.auth...)
	for _, s := range secrets {
		_, token, _ := strings.Cut(s, " ")
		if token == "" {
			token = s
		}
		if len(token) > 16 &&
			(strings.Contains(string(ans.body), token) || strings.Contains(fmt.Sprint(ans.header), token)) {
			t.Errorf("the answer echoes the token")
		}
	}
}

// TestAuthProxy checks that /v1/auth/ reaches the issuer with its path
// intact, that the session cookie it sets is accepted, and that paths
// escaping /v1/auth/ are refused without contacting the issuer.
func TestAuthProxy(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		iss := newIssuer(t)
		a := startAgainst(t, bin, iss.URL())
		a.waitReady(t)

		const email = "grace@example.com"
		login := a.send(t, loginRequest(email))
		if login.status != http.StatusOK || iss.AuthRequests() != 1 {
			t.Fatalf(
				"login: status %d, issuer saw %d auth requests; want 200 and 1 (body %s)",
				login.status,
				iss.AuthRequests(),
				login.body,
			)
		}
		var session string
		for _, c := range (&http.Response{Header: login.header}).Cookies() {
			if c.Name == "identsphere_at" {
				session = c.Value
			}
		}
		if session == "" {
			t.Fatalf("login set no identsphere_at cookie: %v", login.header["Set-Cookie"])
		}
		me := a.send(t, request{path: "/api/me", cookie: session})
		var got struct{ Sub string }
		if err := json.Unmarshal(me.body, &got); me.status != http.StatusOK || err != nil ||
			got.Sub != authtest.SubjectFor(email) {
			t.Errorf(
				"/api/me with the login cookie: %d %s; want 200 for %s",
				me.status,
				me.body,
				authtest.SubjectFor(email),
			)
		}

		for _, path := range []string{
			"/v1/auth/../../api/me",
			"/v1/auth/..%2f..%2fapi%2fme",
			"/v1/auth/%2e%2e/%2e%2e/healthz",
			"/v1/auth/login/..%5c..%5cadmin",
		} {
			checkProxyError(t, a.send(t, request{method: http.MethodPost, path: path}), http.StatusBadRequest)
		}
		if n := iss.AuthRequests(); n != 1 {
			t.Errorf("the issuer saw %d auth requests, want only the login", n)
		}
	})
}

// loginRequest logs in through the proxy, as a browser app would.
func loginRequest(email string) request {
	return request{method: http.MethodPost, path: "/v1/auth/login",
		header: map[string]string{"Content-Type": "application/json"},
		body:   `{"email":"` + email + `","password":"any"}`}
}

// checkProxyError asserts an error the login proxy answered itself.
func checkProxyError(t *testing.T, ans answer, status int) {
	t.Helper()
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	err := json.Unmarshal(ans.body, &body)
	if ans.status != status || err != nil || body.Error == "" || body.Description == "" {
		t.Errorf("proxy answered %d %s, want %d with a JSON error", ans.status, ans.body, status)
	}
}

// TestIssuerUnreachable starts each starter against a closed port: it must
// listen within 3 s, stay unready, answer 503 to tokens and 502 on the
// login proxy.
func TestIssuerUnreachable(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		token := newIssuer(t).MustMint(user) // well formed; no key will ever check it
		start := time.Now()
		a := startAgainst(t, bin, "http://"+closedPort(t))
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("listening after %v, want within 3s", took)
		}

		checkAnswer(
			t,
			contractCase{name: "healthz", req: request{path: "/healthz"}, status: http.StatusOK},
			a.send(t, request{path: "/healthz"}),
		)
		// 503, naming the signing keys as what is not ready, and not the
		// issuer's address.
		if ans := a.send(t, request{path: "/readyz"}); ans.status != http.StatusServiceUnavailable ||
			!strings.Contains(
				string(ans.body),
				`"not_ready":["signing_keys"]`,
			) || strings.Contains(string(ans.body), "127.0.0.1") {
			t.Errorf("/readyz: %d %s, want 503 naming signing_keys, no address", ans.status, ans.body)
		}
		checkUnavailable(t, a, token)

		checkProxyError(t, a.send(t, loginRequest("a@example.com")), http.StatusBadGateway)
	})
}

// checkUnavailable asserts the answer to a token while no keys are loaded.
func checkUnavailable(t *testing.T, a *app, token string) {
	t.Helper()
	c := contractCase{name: "keys unavailable", req: request{path: "/api/me", auth: bearer(token)},
		status: http.StatusServiceUnavailable, code: "temporarily_unavailable"}
	ans := a.send(t, c.req)
	checkAnswer(t, c, ans)
	if ans.header.Get("Retry-After") == "" {
		t.Errorf("503 without Retry-After")
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestIssuerDownAtStart starts each starter while the issuer drops every
// connection, then brings the issuer up: the keys must arrive within 30 s
// without a restart.
func TestIssuerDownAtStart(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		iss := newIssuer(t)
		iss.SetFault(authtest.FaultDown)
		start := time.Now()
		a := startAgainst(t, bin, iss.URL())
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("listening after %v, want within 3s", took)
		}
		token := iss.MustMint(user)
		if ans := a.send(t, request{path: "/readyz"}); ans.status != http.StatusServiceUnavailable {
			t.Errorf("/readyz while the issuer is down: %d, want 503", ans.status)
		}
		checkUnavailable(t, a, token)
		// Let the starter fail a few times, so that it is backing off.
		if _, ok := eventually(10*time.Second, func() bool { return iss.DiscoveryFetches() >= 3 }); !ok {
			t.Fatalf("%d discovery attempts in 10s; is the starter retrying?", iss.DiscoveryFetches())
		}

		iss.SetFault(authtest.FaultNone)
		took, ok := eventually(30*time.Second, func() bool {
			return a.send(t, request{path: "/readyz"}).status == http.StatusOK
		})
		if !ok {
			t.Fatalf("/readyz not 200 within %v of the issuer coming up", took)
		}
		t.Logf("ready %v after the issuer came up", took.Round(time.Millisecond))
		if ans := a.send(t, request{path: "/api/me", auth: bearer(token)}); ans.status != http.StatusOK {
			t.Errorf("/api/me once ready: %d %s", ans.status, ans.body)
		}
	})
}

// TestProxyTimeout points each starter at an issuer whose /v1/auth/ never
// answers: the proxy must give up with 504. IDENTSPHERE_PROXY_TIMEOUT
// keeps that short.
func TestProxyTimeout(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		release := make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, "/v1/auth/") {
				http.NotFound(w, r)
				return
			}
			// Read the body so that the server notices when the proxy
			// hangs up; hold the answer until then, or until the test ends.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(slow.Close)
		t.Cleanup(func() { close(release) }) // runs first
		a := startAgainst(t, bin, slow.URL, "IDENTSPHERE_PROXY_TIMEOUT=500ms")

		checkProxyError(t, a.send(t, loginRequest("a@example.com")), http.StatusGatewayTimeout)
	})
}

// TestRefreshFailureKeepsKeys breaks the JWKS in every way, then makes the
// starter refresh it with a token under an unknown kid: the cached keys
// must keep working and /readyz must stay 200.
func TestRefreshFailureKeepsKeys(t *testing.T) {
	breakages := []struct {
		name  string
		apply func(*authtest.Issuer)
	}{
		{"server error", func(i *authtest.Issuer) { i.SetFault(authtest.FaultServerError) }},
		{"garbage", func(i *authtest.Issuer) { i.SetFault(authtest.FaultGarbage) }},
		{"connection dropped", func(i *authtest.Issuer) { i.SetFault(authtest.FaultDown) }},
		{"hanging", func(i *authtest.Issuer) { i.SetFault(authtest.FaultSlow) }},
		{"empty set", func(i *authtest.Issuer) { i.SetJWKS([]byte(`{"keys":[]}`)) }},
		{"null", func(i *authtest.Issuer) { i.SetJWKS([]byte(`null`)) }},
	}
	eachStarter(t, func(t *testing.T, bin string) {
		for _, b := range breakages {
			t.Run(b.name, func(t *testing.T) {
				t.Parallel()
				iss := newIssuer(t)
				a := startAgainst(t, bin, iss.URL())
				a.waitReady(t)
				valid := iss.MustMint(user)
				before := iss.JWKSFetches()

				b.apply(iss)
				// One unknown kid normally suffices; on a loaded machine the
				// refresh may give up before reaching the issuer, and the
				// next one is allowed 5 s later.
				unknown := iss.MustMint(user, authtest.SignWithKey(testkeys.RSA2(), "not-published"))
				if took, ok := eventually(15*time.Second, func() bool {
					checkAnswer(t, contractCase{name: "unknown kid", req: request{auth: bearer(unknown)},
						status: http.StatusUnauthorized, challenge: challengeToken, code: "invalid_token"},
						a.send(t, request{path: "/api/me", auth: bearer(unknown)}))
					return iss.JWKSFetches() > before
				}); !ok {
					t.Fatalf("no JWKS refresh after %v of unknown-kid tokens; the test proves nothing", took)
				}

				if ans := a.send(t, request{path: "/api/me", auth: bearer(valid)}); ans.status != http.StatusOK {
					t.Errorf("/api/me after the failed refresh: %d %s, want 200", ans.status, ans.body)
				}
				if ans := a.send(t, request{path: "/readyz"}); ans.status != http.StatusOK {
					t.Errorf("/readyz after the failed refresh: %d, want 200", ans.status)
				}
			})
		}
	})
}

// TestKidFloodThenRotation sends a flood of tokens with random kids, which
// must cost only a few JWKS fetches, then publishes a new key, which must
// be accepted within 10 s despite that traffic.
func TestKidFloodThenRotation(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		iss := newIssuer(t)
		a := startAgainst(t, bin, iss.URL())
		a.waitReady(t)

		const flood, workers = 200, 20
		before := iss.JWKSFetches()
		var wg sync.WaitGroup
		results := make(chan error, flood)
		for w := range workers {
			wg.Go(func() {
				for i := range flood / workers {
					tok := iss.MustMint(
						user,
						authtest.SignWithKey(testkeys.AttackerRSA(), fmt.Sprintf("junk-%d-%d", w, i)),
					)
					ans, err := a.do(t.Context(), request{path: "/api/me", auth: bearer(tok)})
					if err == nil && ans.status != http.StatusUnauthorized {
						err = fmt.Errorf("a random-kid token got %d, want 401", ans.status)
					}
					results <- err
				}
			})
		}
		wg.Wait()
		close(results)
		for err := range results {
			if err != nil {
				t.Fatal(err)
			}
		}
		if fetches := iss.JWKSFetches() - before; fetches > 3 {
			t.Errorf("%d random-kid tokens cost %d JWKS fetches, want at most 3", flood, fetches)
		}

		iss.AddKey(testkeys.KIDRSA2, testkeys.RSA2())
		rotated := iss.MustMint(user, authtest.SignWith(testkeys.KIDRSA2))
		took, ok := eventually(10*time.Second, func() bool {
			return a.send(t, request{path: "/api/me", auth: bearer(rotated)}).status == http.StatusOK
		})
		if !ok {
			t.Fatalf("a token under the newly published kid still refused after %v", took)
		}
		t.Logf("new kid accepted after %v", took.Round(time.Millisecond))
	})
}

// TestDevMode runs each starter with no issuer configured: it must bind
// loopback only, whatever ADDR says, and print a token that passes every
// route.
func TestDevMode(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		for _, addr := range []string{"0.0.0.0:0", ":0"} {
			t.Run("ADDR="+addr, func(t *testing.T) {
				t.Parallel()
				a := startApp(t, bin, "ADDR="+addr)
				host, port, err := net.SplitHostPort(a.addr)
				if err != nil || host != "127.0.0.1" {
					t.Fatalf("dev mode listens on %q, want 127.0.0.1 only", a.addr)
				}
				if ip := nonLoopbackIP(t); ip != "" {
					if conn, err := net.DialTimeout("tcp", net.JoinHostPort(ip, port), time.Second); err == nil {
						conn.Close()
						t.Errorf("dev mode is reachable on %s", ip)
					}
				}

				banner := func(prefix string) string {
					line := a.waitLine(t, a.stdout, "the banner's "+prefix+" line", startTimeout, func(l string) bool {
						return strings.HasPrefix(l, prefix)
					})
					return strings.TrimSpace(strings.TrimPrefix(line, prefix))
				}
				if app := banner("app:"); app != a.url {
					t.Errorf("banner says the app is at %q, the log says %q", app, a.url)
				}
				if iss := banner("issuer:"); !strings.HasPrefix(iss, "http://127.0.0.1:") {
					t.Errorf("dev issuer at %q, want loopback", iss)
				}
				if curl := banner("curl "); !strings.Contains(curl, a.url+"/api/me") {
					t.Errorf("banner's curl line %q does not call %s/api/me", curl, a.url)
				}
				token := banner("token:")
				for _, r := range []request{
					{path: "/api/me"},
					{method: http.MethodPost, path: "/api/me"},
					{path: "/api/admin"},
					{path: "/api/verified"},
				} {
					r.auth = bearer(token)
					if ans := a.send(t, r); ans.status != http.StatusOK {
						t.Errorf("%s with the banner's token: %d %s", r.path, ans.status, ans.body)
					}
				}

				login := a.send(t, loginRequest("dev@example.com"))
				if login.status != http.StatusOK {
					t.Fatalf("login through the dev proxy: %d %s", login.status, login.body)
				}
				// The README's revocation walk-through: logging out ends the
				// session at once on every route, through back-channel logout.
				var session struct {
					AccessToken string `json:"access_token"`
				}
				if err := json.Unmarshal([]byte(login.body), &session); err != nil || session.AccessToken == "" {
					t.Fatalf("login answer: %v %s", err, login.body)
				}
				me := request{path: "/api/me", auth: bearer(session.AccessToken)}
				if ans := a.send(t, me); ans.status != http.StatusOK {
					t.Fatalf("the session's token before logout: %d", ans.status)
				}
				if ans := a.send(
					t,
					request{method: http.MethodPost, path: "/v1/auth/logout", cookie: session.AccessToken},
				); ans.status != http.StatusOK {
					t.Fatalf("logout through the dev proxy: %d %s", ans.status, ans.body)
				}
				for _, r := range []request{{path: "/api/me"}, {method: http.MethodPost, path: "/api/transfer"}} {
					r.auth = bearer(session.AccessToken)
					if ans := a.send(t, r); ans.status != http.StatusUnauthorized {
						t.Errorf("%s after logout in dev mode: %d, want 401", r.path, ans.status)
					}
				}
			})
		}
	})
}

// nonLoopbackIP returns an address of this host other than loopback, or ""
// if it has none.
func nonLoopbackIP(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Logf("listing interfaces: %v", err)
		return ""
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			return ipn.IP.String()
		}
	}
	return ""
}

// TestConfigErrors checks that a misconfigured starter exits non-zero with
// a message naming the variable, and never falls back to dev mode.
func TestConfigErrors(t *testing.T) {
	prod := []string{"IDENTSPHERE_URL=http://127.0.0.1:1", "IDENTSPHERE_AUDIENCE=" + audience}
	cases := []struct {
		name string
		env  []string
		want string
	}{
		{"audience missing", []string{"IDENTSPHERE_URL=http://127.0.0.1:1"}, "IDENTSPHERE_AUDIENCE is required"},
		{
			"audience empty",
			[]string{"IDENTSPHERE_URL=http://127.0.0.1:1", "IDENTSPHERE_AUDIENCE="},
			"IDENTSPHERE_AUDIENCE is required",
		},
		{
			"issuer empty",
			[]string{"IDENTSPHERE_URL=", "IDENTSPHERE_AUDIENCE=" + audience},
			"IDENTSPHERE_URL is set but empty",
		},
		{"bad proxy timeout", []string{"IDENTSPHERE_PROXY_TIMEOUT=soon"}, "IDENTSPHERE_PROXY_TIMEOUT"},
		{
			"bad trusted proxies",
			[]string{"IDENTSPHERE_TRUSTED_PROXIES=10.0.0.0/8, the balancer"},
			"IDENTSPHERE_TRUSTED_PROXIES",
		},
		{"bad public scheme", []string{"IDENTSPHERE_PUBLIC_SCHEME=ftp"}, "IDENTSPHERE_PUBLIC_SCHEME"},
		{
			"bad introspection URL",
			[]string{"IDENTSPHERE_INTROSPECTION_URL=introspect"},
			"IDENTSPHERE_INTROSPECTION_URL",
		},
		{
			"bad Redis URL",
			[]string{"IDENTSPHERE_REDIS_URL=http://:s3cret@127.0.0.1:6379"},
			"IDENTSPHERE_REDIS_URL must start with redis://",
		},
		{
			"unknown DPoP mode",
			[]string{"IDENTSPHERE_DPOP=sometimes"},
			`IDENTSPHERE_DPOP must be disabled, allowed or required, not \"sometimes\"`,
		},
		{
			"unknown token profile",
			[]string{"IDENTSPHERE_TOKEN_PROFILE=IDTokens"},
			`IDENTSPHERE_TOKEN_PROFILE must be access, rfc9068 or id, not \"IDTokens\"`,
		},
		{
			"authorized parties without the ID-token profile",
			append([]string{"IDENTSPHERE_AUTHORIZED_PARTIES=orders-web"}, prod...),
			"IDENTSPHERE_AUTHORIZED_PARTIES lists the clients whose ID tokens are trusted: it needs " +
				"IDENTSPHERE_TOKEN_PROFILE=id",
		},
		{
			"authorized parties under rfc9068",
			[]string{"IDENTSPHERE_TOKEN_PROFILE=rfc9068", "IDENTSPHERE_AUTHORIZED_PARTIES=orders-web"},
			"it needs IDENTSPHERE_TOKEN_PROFILE=id",
		},
		{
			"public URL without a scheme",
			[]string{"IDENTSPHERE_PUBLIC_URL=orders.example"},
			"IDENTSPHERE_PUBLIC_URL must be the URL clients reach this service at",
		},
		{
			"public URL with a query",
			[]string{"IDENTSPHERE_PUBLIC_URL=https://orders.example/?x=1"},
			"IDENTSPHERE_PUBLIC_URL must be",
		},
		// DPoP asked for explicitly, outside dev mode, without a public URL.
		{
			"DPoP required without a public URL",
			append([]string{"IDENTSPHERE_DPOP=required"}, prod...),
			"IDENTSPHERE_DPOP=required needs IDENTSPHERE_PUBLIC_URL",
		},
		{
			"DPoP allowed explicitly without a public URL",
			append([]string{"IDENTSPHERE_DPOP=allowed"}, prod...),
			"IDENTSPHERE_DPOP=allowed needs IDENTSPHERE_PUBLIC_URL",
		},
	}
	eachStarter(t, func(t *testing.T, bin string) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, bin)
				cmd.Env = append(starterproc.CleanEnv(), append(c.env, "ADDR=127.0.0.1:0")...)
				var stdout, stderr strings.Builder
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() <= 0 {
					t.Fatalf("exit: %v, want a non-zero status", err)
				}
				if !strings.Contains(stderr.String(), c.want) {
					t.Errorf("stderr %q does not say %q", stderr.String(), c.want)
				}
				if strings.Contains(stderr.String(), `"msg":"listening"`) || stdout.Len() > 0 {
					t.Errorf("the starter started anyway:\n%s%s", stdout.String(), stderr.String())
				}
				if strings.Contains(stderr.String(), "s3cret") {
					t.Errorf("the error shows a password from the environment: %s", stderr.String())
				}
			})
		}
	})
}

// A starter with several mistakes in its environment names every one of
// them in the one failed start, not only the first, so that an operator
// fixes them in one go.
func TestConfigErrorsAllAtOnce(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin)
		cmd.Env = append(starterproc.CleanEnv(), "ADDR=127.0.0.1:0", "IDENTSPHERE_URL=http://127.0.0.1:1",
			"IDENTSPHERE_DPOP=sometimes", "IDENTSPHERE_TOKEN_CACHE=maybe", "IDENTSPHERE_PROXY_TIMEOUT=soon")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() <= 0 {
			t.Fatalf("exit: %v, want a non-zero status", err)
		}
		for _, v := range []string{
			"IDENTSPHERE_AUDIENCE",
			"IDENTSPHERE_DPOP",
			"IDENTSPHERE_TOKEN_CACHE",
			"IDENTSPHERE_PROXY_TIMEOUT",
		} {
			if !strings.Contains(stderr.String(), v) {
				t.Errorf("the failed start does not name %s: %s", v, stderr.String())
			}
		}
		if strings.Count(stderr.String(), "\n") != 1 ||
			!strings.Contains(stderr.String(), `"msg":"`+filepath.Base(bin)+` failed"`) {
			t.Errorf("want one record naming them all: %s", stderr.String())
		}
	})
}

// TestRevocation: after logout (which revokes the session's token at the
// issuer), the token still reaches /api/me, which is checked locally, but
// /api/transfer, which asks the issuer, refuses it; with the issuer's
// introspection down, /api/transfer fails closed. The same holds with the
// verified-token cache turned off.
func TestRevocation(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		for _, cache := range []string{"on", "off"} {
			iss := newIssuer(t)
			a := startAgainst(t, bin, iss.URL(),
				"IDENTSPHERE_CLIENT_ID="+authtest.IntrospectionClientID,
				"IDENTSPHERE_CLIENT_SECRET="+authtest.IntrospectionClientSecret,
				"IDENTSPHERE_TOKEN_CACHE="+cache)
			a.waitReady(t)
			token := iss.MustMint(user)
			transfer := request{method: http.MethodPost, path: "/api/transfer", auth: []string{"Bearer " + token}}
			if ans := a.send(t, transfer); ans.status != http.StatusOK {
				t.Fatalf("cache %s: live token on /api/transfer: %d %s", cache, ans.status, ans.body)
			}

			logout := a.send(t, request{method: http.MethodPost, path: "/v1/auth/logout", cookie: token})
			if logout.status != http.StatusOK {
				t.Fatalf("logout through the proxy: %d %s", logout.status, logout.body)
			}
			me := request{path: "/api/me", auth: []string{"Bearer " + token}}
			if ans := a.send(t, me); ans.status != http.StatusOK {
				t.Errorf("cache %s: revoked token on the local route: %d, want 200 until it expires", cache, ans.status)
			}
			// The issuer's "active" answer from before may be reused for up
			// to the Introspector's cache TTL (5 s).
			if took, ok := eventually(10*time.Second, func() bool {
				return a.send(t, transfer).status == http.StatusUnauthorized
			}); !ok {
				t.Errorf("cache %s: revoked token still accepted on /api/transfer after %v", cache, took)
			}

			fresh := iss.MustMint(user)
			iss.SetIntrospectionFault(authtest.FaultDown)
			ans := a.send(t, request{method: http.MethodPost, path: "/api/transfer", auth: []string{"Bearer " + fresh}})
			if ans.status != http.StatusServiceUnavailable || ans.header.Get("Retry-After") == "" {
				t.Errorf(
					"cache %s: introspection down: %d (Retry-After %q), want 503",
					cache,
					ans.status,
					ans.header.Get("Retry-After"),
				)
			}
		}
	})
}
