//go:build unix

package examples_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/providers"
)

// tokenKindCase is a provider's token as real providers shape it, and the
// settings under which a starter takes it.
type tokenKindCase struct {
	name     string
	issuer   string
	env      []string // IDENTSPHERE_AUDIENCE and friends, beside IDENTSPHERE_URL
	token    string   // a real signed token of the provider
	verified bool     // it carries email_verified true: /api/verified takes it
}

// TestTokenKinds runs ID tokens shaped as Dex, ORY Hydra and Zitadel issue
// them, signed by fake providers with real keys, through both starter
// binaries: with IDENTSPHERE_TOKEN_PROFILE=id they pass (200); with the
// default profile they are refused (401 invalid_token) by a description
// that names their kind and never the settings, and the log says once
// which setting takes them.
func TestTokenKinds(t *testing.T) {
	dex, hydra, zitadel := providers.NewDex(), providers.NewHydra(), providers.NewZitadel()
	t.Cleanup(dex.Close)
	t.Cleanup(hydra.Close)
	t.Cleanup(zitadel.Close)
	cases := []tokenKindCase{
		{"Dex cross-client token (aud [orders-api orders-web], azp orders-web, at_hash)", dex.URL(),
			[]string{
				"IDENTSPHERE_AUDIENCE=" + dex.API,
				"IDENTSPHERE_AUTHORIZED_PARTIES=" + dex.ClientID,
			}, dex.CrossClientToken("admins"), true},
		{"Dex access token (the ID token's shape)", dex.URL(),
			[]string{"IDENTSPHERE_AUDIENCE=" + dex.ClientID}, dex.AccessToken(), true},
		{"Hydra ID token", hydra.URL(),
			[]string{"IDENTSPHERE_AUDIENCE=" + hydra.ClientID}, hydra.IDToken(), true},
		{"Zitadel ID token (aud [client project], azp client)", zitadel.URL(),
			[]string{"IDENTSPHERE_AUDIENCE=" + zitadel.ClientID}, zitadel.IDToken("admin"), true},
	}
	eachStarter(t, func(t *testing.T, bin string) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Run("IDENTSPHERE_TOKEN_PROFILE=id", func(t *testing.T) {
					a := startApp(
						t,
						bin,
						append(
							[]string{"IDENTSPHERE_URL=" + c.issuer, "ADDR=127.0.0.1:0", "IDENTSPHERE_TOKEN_PROFILE=id"},
							c.env...)...)
					a.waitReady(t)
					expect(
						t,
						"/api/me",
						a.send(t, request{path: "/api/me", auth: bearer(c.token)}),
						http.StatusOK,
						"",
						"",
					)
					if c.verified {
						expect(
							t,
							"/api/verified",
							a.send(t, request{path: "/api/verified", auth: bearer(c.token)}),
							http.StatusOK,
							"",
							"",
						)
					}
				})
				t.Run("default profile", func(t *testing.T) {
					env := []string{"IDENTSPHERE_URL=" + c.issuer, "ADDR=127.0.0.1:0"}
					for _, e := range c.env {
						if !strings.HasPrefix(e, "IDENTSPHERE_AUTHORIZED_PARTIES=") { // id only
							env = append(env, e)
						}
					}
					a := startApp(t, bin, env...)
					a.waitReady(t)
					refusedForItsKind(t, a, c.token, "ID token", "IDENTSPHERE_TOKEN_PROFILE=id")
				})
			})
		}
	})
}

// refusedForItsKind sends token three times and checks each answer (401
// invalid_token, a description naming kind and no setting), then that the
// log named the setting once.
func refusedForItsKind(t *testing.T, a *app, token, kind, acceptedWith string) {
	t.Helper()
	const refusals = 3
	for range refusals {
		ans := a.send(t, request{path: "/api/me", auth: bearer(token)})
		expect(t, "/api/me", ans, http.StatusUnauthorized, challengeToken, "invalid_token")
		var body struct {
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(ans.body, &body)
		if !strings.Contains(body.Description, kind) {
			t.Errorf("the description %q does not name the kind %q", body.Description, kind)
		}
		if text := string(ans.body) + ans.header.Get("WWW-Authenticate"); strings.Contains(text, "IDENTSPHERE") ||
			strings.Contains(text, "Profile") {
			t.Errorf("the answer names a setting: %s", text)
		}
	}
	// Every record of a refusal is written before its answer.
	for _, r := range a.waitRecords(t, "identsphere: request refused", refusals) {
		if r["check"] != "typ" {
			t.Errorf("refusal record %v, want check typ", r)
		}
	}
	hints := a.records(t, "identsphere: a token was refused for its kind; this setting accepts that kind")
	if len(hints) != 1 || hints[0]["accepted_with"] != acceptedWith {
		t.Errorf("kind hints %v, want one with accepted_with=%s", hints, acceptedWith)
	}
}

// waitRecords waits until the app has logged n records whose msg is msg,
// and returns them.
func (a *app) waitRecords(t *testing.T, msg string, n int) []map[string]any {
	t.Helper()
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	for {
		_, changed := a.stderr.Lines()
		if recs := a.records(t, msg); len(recs) >= n {
			return recs
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("fewer than %d records %q within %v\nlogs:\n%s", n, msg, startTimeout, a.stderr)
		}
	}
}

// TestTokenKindSettings: an access token at an ID-token gateway, and a
// token without typ at+jwt where RFC 9068 access tokens are required, are
// refused for their kind, the log naming IDENTSPHERE_TOKEN_PROFILE=access.
func TestTokenKindSettings(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		iss := newIssuer(t)
		atJWT := iss.MustMint(
			with(authtest.Claims{"client_id": "orders-web", "jti": "at-1"}),
			authtest.WithHeader("typ", "at+jwt"),
		)
		t.Run("id", func(t *testing.T) {
			a := startAgainst(t, bin, iss.URL(), "IDENTSPHERE_TOKEN_PROFILE=id")
			a.waitReady(t)
			expect(
				t,
				"ID token",
				a.send(
					t,
					request{
						path: "/api/me",
						auth: bearer(iss.MustMint(with(authtest.Claims{"at_hash": "k2vPX1y4b8_6ZQ3b0Vj1yw"}))),
					},
				),
				http.StatusOK,
				"",
				"",
			)
			refusedForItsKind(t, a, atJWT, "access token", "IDENTSPHERE_TOKEN_PROFILE=access")
		})
		t.Run("rfc9068", func(t *testing.T) {
			a := startAgainst(t, bin, iss.URL(), "IDENTSPHERE_TOKEN_PROFILE=rfc9068")
			a.waitReady(t)
			expect(
				t,
				"RFC 9068 access token",
				a.send(t, request{path: "/api/me", auth: bearer(atJWT)}),
				http.StatusOK,
				"",
				"",
			)
			refusedForItsKind(t, a, iss.MustMint(user), "RFC 9068", "IDENTSPHERE_TOKEN_PROFILE=access")
		})
	})
}
