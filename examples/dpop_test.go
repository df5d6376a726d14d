//go:build unix

package examples_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/redistest"
)

// publicURL is the URL the starters are told clients reach them at
// (IDENTSPHERE_PUBLIC_URL), as behind a TLS-terminating balancer: proofs
// name it, while the tests reach the starters on loopback.
const publicURL = "https://orders.example"

// dpopAlgs is the algs parameter of the starters' DPoP challenges.
const dpopAlgs = `algs="ES256 ES384 ES512 EdDSA RS256 PS256"`

// rmPublic is the resource_metadata parameter (with its separator) of the
// challenges of a starter whose IDENTSPHERE_PUBLIC_URL is publicURL: every
// 401 names the Protected Resource Metadata (RFC 9728).
const rmPublic = `resource_metadata="` + publicURL + `/.well-known/oauth-protected-resource", `

// rmOf is the resource_metadata parameter of a starter whose resource is
// url (its listen address, in dev mode), with its separator.
func rmOf(url string) string {
	return `resource_metadata="` + url + `/.well-known/oauth-protected-resource", `
}

// dpopRequest is a request to path carrying token with the DPoP scheme and
// proof.
func dpopRequest(method, path, token, proof string) request {
	return request{
		method: method,
		path:   path,
		auth:   []string{"DPoP " + token},
		header: map[string]string{"DPoP": proof},
	}
}

// errorCode returns the "error" member of a JSON answer.
func errorCode(t *testing.T, ans answer) string {
	t.Helper()
	var body struct{ Error string }
	if err := json.Unmarshal(ans.body, &body); err != nil {
		t.Fatalf("answer %d is not JSON: %q", ans.status, ans.body)
	}
	return body.Error
}

// expect checks an answer's status, challenge and error code.
func expect(t *testing.T, what string, ans answer, status int, challenge, code string) {
	t.Helper()
	if ans.status != status || ans.header.Get("WWW-Authenticate") != challenge ||
		(status != http.StatusOK && errorCode(t, ans) != code) {
		t.Errorf(
			"%s: %d %q %s, want %d %q %q",
			what,
			ans.status,
			ans.header.Get("WWW-Authenticate"),
			ans.body,
			status,
			challenge,
			code,
		)
	}
}

// logRecord waits for the log record whose msg is msg and returns it.
func (a *app) logRecord(t *testing.T, msg string) map[string]any {
	t.Helper()
	line := a.waitLine(t, a.stderr, "the log record "+msg, startTimeout, func(l string) bool {
		var rec struct{ Msg string }
		return json.Unmarshal([]byte(l), &rec) == nil && rec.Msg == msg
	})
	var rec map[string]any
	_ = json.Unmarshal([]byte(line), &rec)
	return rec
}

// TestDPoP: with IDENTSPHERE_PUBLIC_URL (DPoP allowed, the default), a
// DPoP-bound token with a valid proof passes every /api route; the same
// proof again, the token as Bearer, a proof for another URL or method are
// refused; plain Bearer tokens still pass.
func TestDPoP(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		iss := newIssuer(t)
		a := startAgainst(t, bin, iss.URL(), "IDENTSPHERE_PUBLIC_URL="+publicURL)
		a.waitReady(t)
		if rec := a.logRecord(t, "DPoP is on"); rec["mode"] != "allowed" || rec["public_url"] != publicURL ||
			rec["replay_cache"] != "memory" {
			t.Errorf("DPoP log record %v", rec)
		}

		key := authtest.NewDPoPKey(t)
		token := iss.MustMint(authtest.BoundTo(key, with(authtest.Claims{"scope": "admin"})))
		me := publicURL + "/api/me"

		proof := key.Proof(http.MethodGet, me, token)
		ok := a.send(t, dpopRequest(http.MethodGet, "/api/me", token, proof))
		expect(t, "bound token with its proof", ok, http.StatusOK, "", "")
		if !bytes.Contains(ok.body, []byte(`"user-42"`)) {
			t.Errorf("the handler saw another user: %s", ok.body)
		}
		expect(t, "the same proof again", a.send(t, dpopRequest(http.MethodGet, "/api/me", token, proof)),
			http.StatusUnauthorized, `DPoP error="invalid_dpop_proof", `+rmPublic+dpopAlgs, "invalid_dpop_proof")
		expect(t, "the bound token as Bearer", a.send(t, request{path: "/api/me", auth: bearer(token)}),
			http.StatusUnauthorized, challengeToken+", "+strings.TrimSuffix(rmPublic, ", "), "invalid_token")
		expect(
			t,
			"a proof for another route",
			a.send(t, dpopRequest(http.MethodGet, "/api/admin", token, key.Proof(http.MethodGet, me, token))),
			http.StatusUnauthorized,
			`DPoP error="invalid_dpop_proof", `+rmPublic+dpopAlgs,
			"invalid_dpop_proof",
		)
		expect(
			t,
			"a proof for the loopback address",
			a.send(t, dpopRequest(http.MethodGet, "/api/me", token, key.Proof(http.MethodGet, a.url+"/api/me", token))),
			http.StatusUnauthorized,
			`DPoP error="invalid_dpop_proof", `+rmPublic+dpopAlgs,
			"invalid_dpop_proof",
		)
		expect(
			t,
			"a proof for another method",
			a.send(t, dpopRequest(http.MethodPost, "/api/me", token, key.Proof(http.MethodGet, me, token))),
			http.StatusUnauthorized,
			`DPoP error="invalid_dpop_proof", `+rmPublic+dpopAlgs,
			"invalid_dpop_proof",
		)
		expect(
			t,
			"a proof by another key",
			a.send(
				t,
				dpopRequest(http.MethodGet, "/api/me", token, authtest.NewDPoPKey(t).Proof(http.MethodGet, me, token)),
			),
			http.StatusUnauthorized,
			`DPoP error="invalid_dpop_proof", `+rmPublic+dpopAlgs,
			"invalid_dpop_proof",
		)

		// Every /api route takes it, the query aside (htu leaves it out).
		for _, r := range []struct{ method, path, htu string }{
			{http.MethodPost, "/api/me", me},
			{http.MethodGet, "/api/admin?verbose=1", publicURL + "/api/admin"},
		} {
			expect(
				t,
				r.method+" "+r.path,
				a.send(t, dpopRequest(r.method, r.path, token, key.Proof(r.method, r.htu, token))),
				http.StatusOK,
				"",
				"",
			)
		}
		expect(
			t,
			"a plain Bearer token",
			a.send(t, request{path: "/api/me", auth: bearer(iss.MustMint(user))}),
			http.StatusOK,
			"",
			"",
		)
		expect(
			t,
			"no token",
			a.send(t, request{path: "/api/me"}),
			http.StatusUnauthorized,
			`Bearer realm="identsphere", `+rmPublic+`DPoP `+rmPublic+dpopAlgs,
			"",
		)
	})
}

// TestDPoPFleetRefusesReplays: replicas sharing IDENTSPHERE_REDIS_URL
// share the proofs they accepted: a proof one replica took is refused by
// the others, while a new proof passes anywhere.
func TestDPoPFleetRefusesReplays(t *testing.T) {
	trackSources()
	t.Parallel()
	redis := redistest.Start(t)
	iss := newIssuer(t)
	var fleet []*app
	for _, name := range starters {
		a := startAgainst(
			t,
			filepath.Join(binDir, name),
			iss.URL(),
			"IDENTSPHERE_PUBLIC_URL="+publicURL,
			"IDENTSPHERE_REDIS_URL="+redis.URL(),
		)
		a.waitReady(t)
		if rec := a.logRecord(t, "DPoP is on"); rec["replay_cache"] != "redis" {
			t.Errorf("%s: DPoP log record %v, want replay_cache redis", name, rec)
		}
		fleet = append(fleet, a)
	}
	key := authtest.NewDPoPKey(t)
	token := iss.MustMint(authtest.BoundTo(key, user))
	me := publicURL + "/api/me"
	for i, a := range fleet {
		proof := key.Proof(http.MethodGet, me, token)
		expect(
			t,
			fmt.Sprintf("a new proof at replica %d", i),
			a.send(t, dpopRequest(http.MethodGet, "/api/me", token, proof)),
			http.StatusOK,
			"",
			"",
		)
		for j, b := range fleet {
			expect(
				t,
				fmt.Sprintf("replica %d's proof at replica %d", i, j),
				b.send(t, dpopRequest(http.MethodGet, "/api/me", token, proof)),
				http.StatusUnauthorized,
				`DPoP error="invalid_dpop_proof", `+rmPublic+dpopAlgs,
				"invalid_dpop_proof",
			)
		}
	}
}

// TestDPoPRequired: IDENTSPHERE_DPOP=required refuses Bearer tokens with a
// DPoP challenge, and takes DPoP-bound ones with their proofs.
func TestDPoPRequired(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		iss := newIssuer(t)
		a := startAgainst(t, bin, iss.URL(), "IDENTSPHERE_DPOP=required", "IDENTSPHERE_PUBLIC_URL="+publicURL)
		a.waitReady(t)
		expect(t, "a Bearer token", a.send(t, request{path: "/api/me", auth: bearer(iss.MustMint(user))}),
			http.StatusUnauthorized, `DPoP error="invalid_token", `+rmPublic+dpopAlgs, "invalid_token")
		expect(
			t,
			"no token",
			a.send(t, request{path: "/api/me"}),
			http.StatusUnauthorized,
			`DPoP realm="identsphere", `+rmPublic+dpopAlgs,
			"",
		)
		key := authtest.NewDPoPKey(t, authtest.DPoPKeyEd25519())
		token := iss.MustMint(authtest.BoundTo(key, user))
		expect(
			t,
			"a bound token with its proof",
			a.send(
				t,
				dpopRequest(http.MethodGet, "/api/me", token, key.Proof(http.MethodGet, publicURL+"/api/me", token)),
			),
			http.StatusOK,
			"",
			"",
		)
	})
}

// TestDPoPWithoutPublicURL: outside dev mode, without
// IDENTSPHERE_PUBLIC_URL, DPoP is off and the log says why; bound tokens
// are refused however they come; with IDENTSPHERE_DPOP=disabled too.
func TestDPoPWithoutPublicURL(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		for name, env := range map[string][]string{
			"unset":    nil,
			"disabled": {"IDENTSPHERE_DPOP=disabled", "IDENTSPHERE_PUBLIC_URL=" + publicURL},
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				iss := newIssuer(t)
				a := startAgainst(t, bin, iss.URL(), env...)
				a.waitReady(t)
				reason, rm := "IDENTSPHERE_PUBLIC_URL is not set", "" // no URL, no metadata
				if env != nil {
					reason, rm = "IDENTSPHERE_DPOP=disabled", ", "+strings.TrimSuffix(rmPublic, ", ")
				}
				a.waitLine(t, a.stderr, "the DPoP is off record", startTimeout, func(l string) bool {
					return strings.Contains(l, `"msg":"DPoP is off: `+reason)
				})
				key := authtest.NewDPoPKey(t)
				token := iss.MustMint(authtest.BoundTo(key, user))
				expect(
					t,
					"a bound token with its proof",
					a.send(
						t,
						dpopRequest(
							http.MethodGet,
							"/api/me",
							token,
							key.Proof(http.MethodGet, publicURL+"/api/me", token),
						),
					),
					http.StatusBadRequest,
					challengeRequest,
					"invalid_request",
				)
				expect(t, "a bound token as Bearer", a.send(t, request{path: "/api/me", auth: bearer(token)}),
					http.StatusUnauthorized, challengeToken+rm, "invalid_token")
				expect(
					t,
					"no token",
					a.send(t, request{path: "/api/me"}),
					http.StatusUnauthorized,
					challengeMissing+rm,
					"",
				)
			})
		}
	})
}

// TestDPoPDevMode: in dev mode DPoP is on, and proofs name the address the
// service listens at.
func TestDPoPDevMode(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		a := startApp(t, bin, "ADDR=127.0.0.1:0")
		if rec := a.logRecord(t, "DPoP is on"); rec["mode"] != "allowed" || rec["public_url"] != a.url {
			t.Errorf("DPoP log record %v, want mode allowed and public_url %s", rec, a.url)
		}
		// The dev issuer's tokens are not bound: with the DPoP scheme and a
		// proof for the right URL, the token is refused for that, which only
		// a service that reads DPoP can say.
		token := strings.TrimSpace(
			strings.TrimPrefix(a.waitLine(t, a.stdout, "the banner's token", startTimeout, func(l string) bool {
				return strings.HasPrefix(l, "token:")
			}), "token:"),
		)
		key := authtest.NewDPoPKey(t)
		expect(
			t,
			"an unbound token with the DPoP scheme",
			a.send(t, dpopRequest(http.MethodGet, "/api/me", token, key.Proof(http.MethodGet, a.url+"/api/me", token))),
			http.StatusUnauthorized,
			`DPoP error="invalid_token", `+rmOf(a.url)+dpopAlgs,
			"invalid_token",
		)
		expect(
			t,
			"the banner's token as Bearer",
			a.send(t, request{path: "/api/me", auth: bearer(token)}),
			http.StatusOK,
			"",
			"",
		)

		// A login naming the key's thumbprint (dpop_jkt), through the
		// app's proxy, gets a token bound to it: the README's walk-through.
		login := a.send(t, request{method: http.MethodPost, path: "/v1/auth/login",
			header: map[string]string{"Content-Type": "application/json"},
			body:   `{"email":"dev@example.com","password":"any","dpop_jkt":"` + key.Thumbprint() + `"}`})
		var session struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal([]byte(login.body), &session); login.status != http.StatusOK || err != nil {
			t.Fatalf("login with dpop_jkt: %d %s", login.status, login.body)
		}
		bound := session.AccessToken
		expect(
			t,
			"the bound token with its key's proof",
			a.send(t, dpopRequest(http.MethodGet, "/api/me", bound, key.Proof(http.MethodGet, a.url+"/api/me", bound))),
			http.StatusOK,
			"",
			"",
		)
		expect(
			t,
			"the bound token as Bearer",
			a.send(t, request{path: "/api/me", auth: bearer(bound)}),
			http.StatusUnauthorized,
			`Bearer error="invalid_token", `+strings.TrimSuffix(rmOf(a.url), ", "),
			"invalid_token",
		)
	})
}

// TestDPoPProofCommand follows the README: the dpop-proof command's key is
// the one the token is bound to (-jkt), and its proof passes; the same
// proof a second time does not.
func TestDPoPProofCommand(t *testing.T) {
	trackSources()
	sources, _ := filepath.Glob(filepath.Join("dpop-proof", "*"))
	for _, f := range sources {
		_, _ = os.ReadFile(f) // as trackSources does, for go test's cache
	}
	if testing.Short() {
		t.Skip("builds and runs the starter binaries")
	}
	t.Parallel()
	helper := filepath.Join(t.TempDir(), "dpop-proof")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", helper, "./dpop-proof")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building dpop-proof: %v\n%s", err, out)
	}
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	runHelper := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		cmd := exec.CommandContext(t.Context(), helper, append([]string{"-key", keyFile}, args...)...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("dpop-proof %v: %v\n%s", args, err, stderr.String())
		}
		return strings.TrimSpace(stdout.String())
	}
	jkt := runHelper("-jkt")
	for _, name := range starters {
		t.Run(name, func(t *testing.T) {
			iss := newIssuer(t)
			a := startAgainst(t, filepath.Join(binDir, name), iss.URL(), "IDENTSPHERE_PUBLIC_URL="+publicURL)
			a.waitReady(t)
			token := iss.MustMint(with(authtest.Claims{"cnf": map[string]string{"jkt": jkt}}))
			proof := runHelper("-url", publicURL+"/api/me", "-token", token)
			expect(
				t,
				"the command's proof",
				a.send(t, dpopRequest(http.MethodGet, "/api/me", token, proof)),
				http.StatusOK,
				"",
				"",
			)
			expect(t, "the command's proof again", a.send(t, dpopRequest(http.MethodGet, "/api/me", token, proof)),
				http.StatusUnauthorized, `DPoP error="invalid_dpop_proof", `+rmPublic+dpopAlgs, "invalid_dpop_proof")
			post := runHelper("-method", "POST", "-url", publicURL+"/api/me", "-token", token)
			expect(
				t,
				"a POST proof",
				a.send(t, dpopRequest(http.MethodPost, "/api/me", token, post)),
				http.StatusOK,
				"",
				"",
			)
		})
	}
}
