package providers_test

import (
	"net/http"
	"testing"

	"github.com/identsphere/identsphere-go/internal/providers"
	"github.com/identsphere/identsphere-go/stdauth"
)

func TestKeycloakWithAudienceMapper(t *testing.T) {
	k := providers.NewKeycloak()
	t.Cleanup(k.Close)
	v := start(t, keycloakRecipe(k.URL(), k.API))

	accepted := verifyAll(t, v, []verdict{
		{"access token, aud [API, account]", k.AccessToken(providers.MapperAudience, nil, nil), ""},
		{"access token, aud account (no mapper)", k.AccessToken(providers.AccountAudience, nil, nil), "aud"},
		{"access token without aud (no mapper)", k.AccessToken(providers.NoAudience, nil, nil), "aud"},
		{"access token for another API", k.AccessTokenForAPI("billing-api"), "aud"},
		{"access token of another realm", k.OtherRealmAccessToken(), "iss"},
		{"ID token (typ ID)", k.IDToken(), "typ"},
		{"refresh token (HS512, typ Refresh)", k.RefreshToken(), "alg"},
	})
	if c := accepted["access token, aud [API, account]"]; c != nil && c.AuthorizedParty != k.ClientID {
		t.Errorf("azp %q", c.AuthorizedParty)
	}

	admin := route(v, stdauth.RequireClaim(keycloakRealmRoles, "admin"))
	reader := route(v, stdauth.RequireClaim(keycloakClientRoles, "orders-read"))
	expect(
		t,
		"realm role",
		admin,
		k.AccessToken(providers.MapperAudience, []string{"admin"}, nil),
		http.StatusNoContent,
		"",
	)
	expect(
		t,
		"realm role missing",
		admin,
		k.AccessToken(providers.MapperAudience, nil, []string{"admin"}),
		http.StatusForbidden,
		"forbidden",
	)
	expect(
		t,
		"client role",
		reader,
		k.AccessToken(providers.MapperAudience, nil, []string{"orders-read"}),
		http.StatusNoContent,
		"",
	)
	expect(
		t,
		"client role missing",
		reader,
		k.AccessToken(providers.MapperAudience, []string{"orders-read"}, nil),
		http.StatusForbidden,
		"forbidden",
	)
}

func TestKeycloakWithoutAudienceMapper(t *testing.T) {
	k := providers.NewKeycloak()
	t.Cleanup(k.Close)
	v := start(t, keycloakAzpRecipe(k.URL(), k.ClientID))
	verifyAll(t, v, []verdict{
		{"access token without aud, azp the client", k.AccessToken(providers.NoAudience, nil, nil), ""},
		{"access token without aud of another client", k.AccessTokenOfClient("billing-web"), "aud"},
		{"access token, aud account: azp is not read", k.AccessToken(providers.AccountAudience, nil, nil), "aud"},
		{"ID token (aud = the client, typ ID)", k.IDToken(), "typ"},
	})
	expect(t, "client role", route(v, stdauth.RequireClaim(keycloakClientRoles, "orders-read")),
		k.AccessToken(providers.NoAudience, nil, []string{"orders-read"}), http.StatusNoContent, "")
}
