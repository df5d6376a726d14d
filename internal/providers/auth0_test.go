package providers_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/providers"
	"github.com/identsphere/identsphere-go/stdauth"
)

func TestAuth0(t *testing.T) {
	a := providers.NewAuth0()
	t.Cleanup(a.Close)
	v := start(t, auth0Recipe(a.URL(), a.API))

	accepted := verifyAll(t, v, []verdict{
		{"access token, aud [API, /userinfo]", a.AccessToken([]string{"read:orders"}, "admin"), ""},
		{"access token for another API of the tenant", a.AccessTokenForAPI("https://billing.example.com/api"), "aud"},
		{"access token of another tenant", a.OtherTenantAccessToken(), "iss"},
		{"ID token (aud = client id)", a.IDToken(), "aud"},
	})
	if c := accepted["access token, aud [API, /userinfo]"]; c != nil &&
		(c.AuthorizedParty != a.ClientID || !c.HasScope("read:orders")) {
		t.Errorf("claims: azp %q, scopes %q", c.AuthorizedParty, c.Scopes)
	}

	orders := route(v, stdauth.RequireClaim(auth0Permissions, "read:orders"))
	admin := route(v, stdauth.RequireClaim(auth0Roles, "admin"))
	expect(
		t,
		"permission granted",
		orders,
		a.AccessToken([]string{"read:orders", "write:orders"}),
		http.StatusNoContent,
		"",
	)
	expect(t, "permission missing", orders, a.AccessToken([]string{"read:invoices"}), http.StatusForbidden, "forbidden")
	expect(t, "no permissions", orders, a.AccessToken(nil), http.StatusForbidden, "forbidden")
	expect(t, "namespaced role", admin, a.AccessToken(nil, "admin"), http.StatusNoContent, "")
	expect(
		t,
		"namespaced role missing",
		admin,
		a.AccessToken([]string{"read:orders"}, "viewer"),
		http.StatusForbidden,
		"forbidden",
	)
	expect(t, "ID token", orders, a.IDToken(), http.StatusUnauthorized, "invalid_token")
}

// TestAuth0UserinfoAudienceIsAPitfall shows why the recipe lists the API
// identifier alone: every access token requested with the openid scope
// carries the /userinfo URL, whatever API it is for.
func TestAuth0UserinfoAudienceIsAPitfall(t *testing.T) {
	a := providers.NewAuth0()
	t.Cleanup(a.Close)
	wrong := auth0Recipe(a.URL(), a.API)
	wrong.Audience = append(wrong.Audience, a.UserinfoURL())
	v := start(t, wrong)
	verifyAll(t, v, []verdict{
		{
			"another API's token passes once /userinfo is an audience",
			a.AccessTokenForAPI("https://billing.example.com/api"),
			"",
		},
	})
}

// TestAuth0IssuerWithoutTrailingSlash: the tenant's discovery document
// names the issuer with its slash, so an Issuer without it loads no keys,
// and the error says what to set.
func TestAuth0IssuerWithoutTrailingSlash(t *testing.T) {
	a := providers.NewAuth0()
	t.Cleanup(a.Close)
	rec := newWarnings()
	cfg := auth0Recipe(strings.TrimSuffix(a.URL(), "/"), a.API)
	cfg.Logger = slog.New(rec)
	v, err := core.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	select {
	case <-rec.seen:
	case <-time.After(10 * time.Second):
		t.Fatal("no warning about the keys")
	}
	if w := rec.all()[0]; !strings.Contains(w, "trailing slash") ||
		!strings.Contains(w, fmt.Sprintf("set Config.Issuer to %q", a.URL())) {
		t.Errorf("the warning does not name the fix: %s", w)
	}
	_, err = v.Verify(t.Context(), a.AccessToken([]string{"read:orders"}))
	if !errors.Is(err, core.ErrKeysUnavailable) {
		t.Errorf("Verify: %v, want ErrKeysUnavailable", err)
	}
}
