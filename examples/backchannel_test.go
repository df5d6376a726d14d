package examples_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// After a back-channel logout, every token route refuses the session's
// tokens at once (cached ones included), and the receiver refuses what is
// not a valid logout token for this client.
func TestBackChannelLogout(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		iss := newIssuer(t)
		const clientID = "orders-web"
		a := startAgainst(t, bin, iss.URL(), "IDENTSPHERE_CLIENT_ID="+clientID, "IDENTSPHERE_CLIENT_SECRET=x")
		a.waitReady(t)
		iss.RegisterBackChannelLogout(a.url+"/backchannel-logout", clientID)

		session := iss.MustMint(with(authtest.Claims{"sid": "s-1", "scope": "admin", "email_verified": true}))
		other := iss.MustMint(with(authtest.Claims{"sid": "s-2"}))
		routes := []string{"/api/me", "/api/admin", "/api/verified"}
		for _, path := range routes {
			if ans := a.send(t, request{path: path, auth: []string{"Bearer " + session}}); ans.status != http.StatusOK {
				t.Fatalf("before logout %s: %d %s", path, ans.status, ans.body)
			}
		}
		if ans := a.send(
			t,
			request{method: http.MethodPost, path: "/v1/auth/logout", cookie: session},
		); ans.status != http.StatusOK {
			t.Fatalf("logout: %d %s", ans.status, ans.body)
		}
		if delivered, failed := iss.BackChannelDeliveries(); delivered != 1 || failed != 0 {
			t.Fatalf("back-channel deliveries: %d ok, %d failed", delivered, failed)
		}
		for _, path := range routes {
			ans := a.send(t, request{path: path, auth: []string{"Bearer " + session}})
			if ans.status != http.StatusUnauthorized ||
				!strings.Contains(ans.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf(
					"after logout %s: %d %q, want 401 invalid_token",
					path,
					ans.status,
					ans.header.Get("WWW-Authenticate"),
				)
			}
		}
		if ans := a.send(t, request{path: "/api/me", auth: []string{"Bearer " + other}}); ans.status != http.StatusOK {
			t.Errorf("another session after the logout: %d", ans.status)
		}

		// The receiver: a logout token for another client, an access token.
		for name, tok := range map[string]string{
			"another client's logout token": mustLogoutToken(t, iss, "another-client", "s-2"),
			"an access token":               other,
		} {
			resp, err := a.client.Post(
				a.url+"/backchannel-logout",
				"application/x-www-form-urlencoded",
				strings.NewReader(url.Values{"logout_token": {tok}}.Encode()),
			)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: %d, want 400 with no-store", name, resp.StatusCode)
			}
		}
		if ans := a.send(t, request{path: "/api/me", auth: []string{"Bearer " + other}}); ans.status != http.StatusOK {
			t.Errorf("a refused logout token revoked a session: %d", ans.status)
		}
	})
}

func mustLogoutToken(t *testing.T, iss *authtest.Issuer, clientID, sid string) string {
	t.Helper()
	tok, err := iss.MintLogoutToken(clientID, sid, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// A provider that serves introspection without advertising it: the fresh
// route works with IDENTSPHERE_INTROSPECTION_URL, and without it the log
// says, at error level, which setting is missing.
func TestIntrospectionURLFromTheEnvironment(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		iss := authtest.NewIssuer(
			authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
			authtest.WithAudience(audience),
			authtest.WithoutDiscovery(),
		)
		t.Cleanup(iss.Close)
		creds := []string{
			"IDENTSPHERE_CLIENT_ID=" + authtest.IntrospectionClientID,
			"IDENTSPHERE_CLIENT_SECRET=" + authtest.IntrospectionClientSecret,
		}
		token := iss.MustMint(user)
		transfer := request{method: http.MethodPost, path: "/api/transfer", auth: []string{"Bearer " + token}}

		a := startAgainst(t, bin, iss.URL(), append(creds, "IDENTSPHERE_INTROSPECTION_URL="+iss.IntrospectionURL())...)
		a.waitReady(t)
		if ans := a.send(t, transfer); ans.status != http.StatusOK || iss.IntrospectionRequests() != 1 {
			t.Fatalf(
				"with IDENTSPHERE_INTROSPECTION_URL: %d, %d introspection calls",
				ans.status,
				iss.IntrospectionRequests(),
			)
		}

		b := startAgainst(t, bin, iss.URL(), creds...)
		b.waitReady(t)
		if ans := b.send(t, transfer); ans.status != http.StatusServiceUnavailable {
			t.Fatalf("without an endpoint: %d, want 503", ans.status)
		}
		b.waitLine(t, b.stderr, "the error record naming the setting", 5*time.Second, func(line string) bool {
			return strings.Contains(line, `"level":"ERROR"`) && strings.Contains(line, "IDENTSPHERE_INTROSPECTION_URL")
		})
	})
}
