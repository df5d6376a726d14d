package providers_test

import (
	"net/http"
	"testing"

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
	if c := accepted["access token, aud [API, /userinfo]"]; c != nil && (c.AuthorizedParty != a.ClientID || !c.HasScope("read:orders")) {
		t.Errorf("claims: azp %q, scopes %q", c.AuthorizedParty, c.Scopes)
	}

	orders := route(v, stdauth.RequireClaim(auth0Permissions, "read:orders"))
	admin := route(v, stdauth.RequireClaim(auth0Roles, "admin"))
	expect(t, "permission granted", orders, a.AccessToken([]string{"read:orders", "write:orders"}), http.StatusNoContent, "")
	expect(t, "permission missing", orders, a.AccessToken([]string{"read:invoices"}), http.StatusForbidden, "forbidden")
	expect(t, "no permissions", orders, a.AccessToken(nil), http.StatusForbidden, "forbidden")
	expect(t, "namespaced role", admin, a.AccessToken(nil, "admin"), http.StatusNoContent, "")
	expect(t, "namespaced role missing", admin, a.AccessToken([]string{"read:orders"}, "viewer"), http.StatusForbidden, "forbidden")
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
		{"another API's token passes once /userinfo is an audience", a.AccessTokenForAPI("https://billing.example.com/api"), ""},
	})
}
