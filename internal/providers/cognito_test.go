package providers_test

import (
	"net/http"
	"testing"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/providers"
	"github.com/identsphere/identsphere-go/stdauth"
)

func TestCognitoAccessTokens(t *testing.T) {
	c := providers.NewCognito()
	t.Cleanup(c.Close)
	v := start(t, cognitoAccessRecipe(c.URL(), c.ClientID))

	accepted := verifyAll(t, v, []verdict{
		{"access token (no aud, client_id, token_use access, no typ)", c.AccessToken("admins"), ""},
		{"access token of another app client", c.AccessTokenForClient("7otherclient0123456789abcd"), "aud"},
		{"access token of another user pool", c.OtherPoolAccessToken(), "iss"},
		{"ID token (aud = client id, token_use id)", c.IDToken(), core.CheckRequiredClaim},
	})
	if cl := accepted["access token (no aud, client_id, token_use access, no typ)"]; cl != nil &&
		(len(cl.Audience) != 0 || cl.ClientID != c.ClientID) {
		t.Errorf("claims: aud %q, client_id %q", cl.Audience, cl.ClientID)
	}

	admins := route(v, stdauth.RequireClaim(cognitoGroups, "admins"))
	expect(t, "group", admins, c.AccessToken("admins", "staff"), http.StatusNoContent, "")
	expect(t, "group missing", admins, c.AccessToken("staff"), http.StatusForbidden, "forbidden")
	expect(t, "no groups", admins, c.AccessToken(), http.StatusForbidden, "forbidden")
	expect(t, "ID token", admins, c.IDToken("admins"), http.StatusUnauthorized, "invalid_token")
}

func TestCognitoIDTokens(t *testing.T) {
	c := providers.NewCognito()
	t.Cleanup(c.Close)
	v := start(t, cognitoIDRecipe(c.URL(), c.ClientID))
	verifyAll(t, v, []verdict{
		{"ID token", c.IDToken("admins"), ""},
		{"access token (no aud)", c.AccessToken("admins"), "aud"},
	})
	expect(
		t,
		"group",
		route(v, stdauth.RequireClaim(cognitoGroups, "admins")),
		c.IDToken("admins"),
		http.StatusNoContent,
		"",
	)
}

// TestCognitoTokenUseIsTheOnlyMark shows why the access recipe requires
// token_use: neither kind of token has a typ header, and an ID token's aud
// is the app client id, which the access recipe accepts as audience.
func TestCognitoTokenUseIsTheOnlyMark(t *testing.T) {
	c := providers.NewCognito()
	t.Cleanup(c.Close)
	cfg := cognitoAccessRecipe(c.URL(), c.ClientID)
	cfg.RequiredClaims = nil
	verifyAll(t, start(t, cfg), []verdict{
		{"ID token passes without RequiredClaims", c.IDToken(), ""},
	})
}
