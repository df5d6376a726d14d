package providers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/internal/providers"
	"github.com/identsphere/identsphere-go/stdauth"
)

func TestDex(t *testing.T) {
	d := providers.NewDex()
	t.Cleanup(d.Close)
	v := start(t, dexRecipe(d.URL(), d.ClientID))

	verifyAll(t, v, []verdict{
		{"ID token (aud = client id, no typ)", d.IDToken("admins"), ""},
		{"access token (the ID token's shape, at_hash included)", d.AccessToken(), ""},
		{"ID token of another client", d.IDTokenForClient("billing-web"), "aud"},
		{"cross-client ID token issued to another client", d.CrossClientIDToken("billing-web"), "azp"},
		{"ID token of an issuer without the path", d.RootIssuerIDToken(), "iss"},
	})

	admins := route(v, stdauth.RequireClaim(dexGroups, "admins"))
	expect(t, "group", admins, d.IDToken("admins", "staff"), http.StatusNoContent, "")
	expect(t, "group missing", admins, d.IDToken("staff"), http.StatusForbidden, "forbidden")
	expect(
		t,
		"another client's ID token",
		admins,
		d.IDTokenForClient("billing-web"),
		http.StatusUnauthorized,
		"invalid_token",
	)
}

// Dex's cross-client trust: orders-web obtains a token for orders-api,
// with aud [orders-api orders-web] and azp orders-web. orders-api takes it
// once orders-web is among its AuthorizedParties, and no other client's.
func TestDexCrossClient(t *testing.T) {
	d := providers.NewDex()
	t.Cleanup(d.Close)
	verifyAll(t, start(t, dexRecipe(d.URL(), d.API)), []verdict{
		{"cross-client token, the peer not trusted", d.CrossClientToken(), "azp"},
	})
	v := start(t, dexCrossClientRecipe(d.URL(), d.API, d.ClientID))
	verifyAll(t, v, []verdict{
		{"cross-client token from the trusted peer", d.CrossClientToken("admins"), ""},
		{"the peer's own ID token", d.IDToken(), "aud"},
		{"cross-client token of another peer", d.CrossClientIDToken("billing-web"), "aud"},
	})
	admins := route(v, stdauth.RequireClaim(dexGroups, "admins"))
	expect(t, "cross-client token, group", admins, d.CrossClientToken("admins"), http.StatusNoContent, "")
	expect(
		t,
		"cross-client token, group missing",
		admins,
		d.CrossClientToken("staff"),
		http.StatusForbidden,
		"forbidden",
	)
}

// Dex's tokens, access tokens included, are ID tokens: the default
// profile refuses every one of them, naming the kind.
func TestDexNeedsTheIDTokenProfile(t *testing.T) {
	d := providers.NewDex()
	t.Cleanup(d.Close)
	access := dexRecipe(d.URL(), d.ClientID)
	access.Profile = 0 // the default, AccessTokens
	v := start(t, access)
	verifyAll(t, v, []verdict{
		{"ID token", d.IDToken(), "typ"},
		{"access token", d.AccessToken(), "typ"},
	})
	a := expect(
		t,
		"access token at an access-token API",
		route(v),
		d.AccessToken(),
		http.StatusUnauthorized,
		"invalid_token",
	)
	if !strings.Contains(a.description, "ID token") {
		t.Errorf("the description does not name the kind: %q", a.description)
	}
}
