//go:build unix

package examples_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
)

// TestAuthenticatedAnswersAreNeverStored: every answer of a token route,
// success or refusal, is Cache-Control: no-store and varies on the
// credentials, so that no cache hands one caller's answer to another.
func TestAuthenticatedAnswersAreNeverStored(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		iss := newIssuer(t)
		a := startAgainst(t, bin, iss.URL())
		a.waitReady(t)
		valid := iss.MustMint(user)
		for _, c := range []struct {
			name   string
			req    request
			status int
		}{
			{"GET /api/me", request{path: "/api/me", auth: bearer(valid)}, http.StatusOK},
			{
				"POST /api/me with the cookie",
				request{method: http.MethodPost, path: "/api/me", cookie: valid},
				http.StatusOK,
			},
			{
				"admin",
				request{path: "/api/admin", auth: bearer(iss.MustMint(with(authtest.Claims{"scope": "admin"})))},
				http.StatusOK,
			},
			{"no token", request{path: "/api/me"}, http.StatusUnauthorized},
			{"invalid token", request{path: "/api/me", auth: bearer("x.y.z")}, http.StatusUnauthorized},
			{"malformed header", request{path: "/api/me", auth: []string{"Basic dXNlcjpwYXNz"}}, http.StatusBadRequest},
			{"missing scope", request{path: "/api/admin", auth: bearer(valid)}, http.StatusForbidden},
			{"unverified email", request{path: "/api/verified", auth: bearer(valid)}, http.StatusForbidden},
			{"cross-site cookie", request{method: http.MethodPost, path: "/api/me", cookie: valid,
				header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, http.StatusForbidden},
		} {
			t.Run(c.name, func(t *testing.T) {
				ans := a.send(t, c.req)
				if ans.status != c.status {
					t.Fatalf("status %d, want %d (body %s)", ans.status, c.status, ans.body)
				}
				if cc := ans.header.Values("Cache-Control"); len(cc) != 1 || cc[0] != "no-store" {
					t.Errorf("Cache-Control %q, want no-store", cc)
				}
				vary := strings.Join(ans.header.Values("Vary"), ",")
				for _, name := range []string{"Authorization", "Cookie"} {
					if !containsToken(vary, name) {
						t.Errorf("Vary %q does not name %s", vary, name)
					}
				}
			})
		}
	})
}

// containsToken reports whether the comma-separated list holds tok, in any
// case.
func containsToken(list, tok string) bool {
	for e := range strings.SplitSeq(list, ",") {
		if strings.EqualFold(strings.TrimSpace(e), tok) {
			return true
		}
	}
	return false
}

// TestMissingTokenBodyIsWhatTheREADMESays: the starter READMEs quote the
// exact body of a request without a token, which has no "error" member
// (RFC 6750 section 3.1), and the other failures' shape.
func TestMissingTokenBodyIsWhatTheREADMESays(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		readme, err := os.ReadFile(filepath.Join(filepath.Base(bin), "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		iss := newIssuer(t)
		a := startAgainst(t, bin, iss.URL())
		a.waitReady(t)

		missing := a.send(t, request{path: "/api/me"})
		var body map[string]any
		if err := json.Unmarshal(missing.body, &body); err != nil || missing.status != http.StatusUnauthorized {
			t.Fatalf("no token: %d %s", missing.status, missing.body)
		}
		if _, ok := body["error"]; ok {
			t.Errorf("no token: body %s has an error member", missing.body)
		}
		quoted := "`" + string(bytes.TrimSpace(missing.body)) + "`"
		if !bytes.Contains(readme, []byte(quoted)) {
			t.Errorf("README does not quote the missing-token body %s", quoted)
		}
		invalid := a.send(t, request{path: "/api/me", auth: bearer("x.y.z")})
		var got struct {
			Error       *string `json:"error"`
			Description string  `json:"error_description"`
		}
		if err := json.Unmarshal(invalid.body, &got); err != nil || got.Error == nil || got.Description == "" {
			t.Errorf("invalid token: body %s, want error and error_description", invalid.body)
		}
		if quoted := "`" + `{"error":"invalid_token","error_description":"..."}` + "`"; !bytes.Contains(
			readme,
			[]byte(quoted),
		) {
			t.Errorf("README does not show the shape of the other failures, %s", quoted)
		}
	})
}

// TestNoRedirectFollowsForwardedPrefix: a path with a trailing slash or in
// the wrong case is answered 404, never redirected to where a client's
// X-Forwarded-Prefix points (gin builds such redirects from it).
func TestNoRedirectFollowsForwardedPrefix(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		iss := newIssuer(t)
		a := startAgainst(t, bin, iss.URL())
		a.waitReady(t)
		valid := iss.MustMint(user)
		for _, prefix := range []string{"https://evil.example", "//evil.example", "/evil"} {
			for _, path := range []string{"/api/me/", "/healthz/", "/API/ME", "/Healthz"} {
				forwarded := map[string]string{"X-Forwarded-Prefix": prefix}
				ans := a.send(t, request{path: path, auth: bearer(valid), header: forwarded})
				if ans.status != http.StatusNotFound || ans.header.Get("Location") != "" {
					t.Errorf("%s with X-Forwarded-Prefix %s: %d Location %q, want 404 without a redirect",
						path, prefix, ans.status, ans.header.Get("Location"))
				}
			}
		}
	})
}

// recordingIssuer is an issuer stand-in that answers every /v1/auth/
// request 200 and records its headers; it has no keys, which the proxy
// does not need.
type recordingIssuer struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header
}

func newRecordingIssuer(t *testing.T) *recordingIssuer {
	ri := &recordingIssuer{}
	ri.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/auth/") {
			http.NotFound(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		ri.mu.Lock()
		ri.headers = append(ri.headers, r.Header.Clone())
		ri.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(ri.Close)
	return ri
}

func (ri *recordingIssuer) received() []http.Header {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	return append([]http.Header(nil), ri.headers...)
}

// TestLoginProxyInTheStarters: through each starter's /v1/auth/, the
// issuer is told the user's address and scheme from the trusted balancer
// (IDENTSPHERE_TRUSTED_PROXIES, IDENTSPHERE_PUBLIC_SCHEME), never a
// client's claim of another address or URL; tunnels, TRACE and cross-site
// unsafe requests are refused without reaching it.
func TestLoginProxyInTheStarters(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		ri := newRecordingIssuer(t)
		// The suite connects from loopback: it plays the balancer.
		a := startAgainst(
			t,
			bin,
			ri.URL,
			"IDENTSPHERE_TRUSTED_PROXIES=10.0.0.0/8, 127.0.0.1",
			"IDENTSPHERE_PUBLIC_SCHEME=https",
		)

		t.Run("the issuer is told the user behind the trusted balancer, nothing a client forged", func(t *testing.T) {
			forged := map[string]string{
				"X-Forwarded-For": "198.51.100.1, 203.0.113.7, 10.1.2.3", "X-Forwarded-Proto": "http",
				"Cf-Connecting-Ip": "198.51.100.1", "X-Real-Ip": "198.51.100.1", "True-Client-Ip": "198.51.100.1",
				"X-Original-Url": "/admin", "X-Original-Host": "evil.example", "X-Http-Method-Override": "DELETE",
				"X-Forwarded-Host": "evil.example", "Authorization": "Bearer app-token",
			}
			login := loginRequest("a@example.com")
			for k, v := range forged {
				login.header[k] = v
			}
			if ans := a.send(t, login); ans.status != http.StatusOK {
				t.Fatalf("login: %d %s", ans.status, ans.body)
			}
			got := ri.received()
			if len(got) != 1 {
				t.Fatalf("the issuer got %d requests, want 1", len(got))
			}
			h := got[0]
			if xff, proto := h.Values("X-Forwarded-For"), h.Values("X-Forwarded-Proto"); len(xff) != 1 ||
				xff[0] != "203.0.113.7" ||
				len(proto) != 1 ||
				proto[0] != "https" {
				t.Errorf("the issuer was told X-Forwarded-For %q, X-Forwarded-Proto %q; want 203.0.113.7 over https",
					xff, proto)
			}
			for name := range forged {
				if name == "X-Forwarded-For" || name == "X-Forwarded-Proto" {
					continue
				}
				if v, ok := h[http.CanonicalHeaderKey(name)]; ok {
					t.Errorf("the issuer got %s %q", name, v)
				}
			}
		})

		t.Run("tunnels, TRACE and cross-site unsafe requests are refused", func(t *testing.T) {
			before := len(ri.received())
			for _, method := range []string{http.MethodConnect, http.MethodTrace} {
				ans := a.send(t, request{method: method, path: "/v1/auth/login"})
				if allow := strings.Join(ans.header.Values("Allow"), ", "); ans.status != http.StatusMethodNotAllowed ||
					allow != "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS" {
					t.Errorf("%s: %d Allow %q, want 405 with the proxy's Allow", method, ans.status, allow)
				}
			}
			crossSite := []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}}
			for _, header := range crossSite {
				for _, path := range []string{"/v1/auth/logout", "/v1/auth/login"} {
					ans := a.send(t, request{method: http.MethodPost, path: path, header: header})
					checkProxyError(t, ans, http.StatusForbidden)
				}
			}
			if n := len(ri.received()) - before; n != 0 {
				t.Errorf("the issuer got %d of these, want none", n)
			}
		})
	})
}

// TestDevModeServesLoopbackHostsOnly: in dev mode, the app and its
// log-in-as-anyone issuer answer 421 to a Host that is not loopback, as a
// DNS-rebinding page would send, and serve localhost, 127.0.0.0/8 and
// [::1].
func TestDevModeServesLoopbackHostsOnly(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		a := startApp(t, bin, "ADDR=127.0.0.1:0")
		line := a.waitLine(t, a.stdout, "the banner's issuer line", startTimeout, func(l string) bool {
			return strings.HasPrefix(l, "issuer:")
		})
		issuer := &app{url: strings.TrimSpace(strings.TrimPrefix(line, "issuer:")), client: a.client}
		_, port, _ := net.SplitHostPort(a.addr)

		foreign := []string{"evil.example", "evil.example:" + port, "127.0.0.1.evil.example", "localhost.evil.example",
			"10.0.0.1", "[::2]:" + port, "[fe80::1%25lo]", "[::ffff:10.0.0.1]"}
		for _, target := range []struct {
			name string
			at   *app
			reqs []request
		}{
			{"app", a, []request{{path: "/healthz"}, {path: "/api/me"}, loginRequest("dev@example.com")}},
			{
				"issuer",
				issuer,
				[]request{
					{path: "/.well-known/openid-configuration"},
					{path: "/.well-known/jwks.json"},
					loginRequest("dev@example.com"),
				},
			},
		} {
			for _, r := range target.reqs {
				for _, host := range foreign {
					r.host = host
					if ans := target.at.send(t, r); ans.status != http.StatusMisdirectedRequest {
						t.Errorf("%s %s with Host %q: %d, want 421", target.name, r.path, host, ans.status)
					}
				}
			}
		}
		for _, host := range []string{
			"localhost:" + port,
			"LOCALHOST",
			"127.0.0.1:" + port,
			"127.0.0.2",
			"[::1]:" + port,
			"[::ffff:127.0.0.1]",
		} {
			if ans := a.send(t, request{path: "/healthz", host: host}); ans.status != http.StatusOK {
				t.Errorf("app with Host %q: %d, want 200", host, ans.status)
			}
			if ans := issuer.send(
				t,
				request{path: "/.well-known/openid-configuration", host: host},
			); ans.status != http.StatusOK {
				t.Errorf("issuer with Host %q: %d, want 200", host, ans.status)
			}
		}
	})
}
