package providers_test

import (
	"net/http"
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
		{"ID token of another client", d.IDTokenForClient("billing-web"), "aud"},
		{"cross-client ID token issued to another client", d.CrossClientIDToken("billing-web"), "azp"},
		{"ID token of an issuer without the path", d.RootIssuerIDToken(), "iss"},
	})

	admins := route(v, stdauth.RequireClaim(dexGroups, "admins"))
	expect(t, "group", admins, d.IDToken("admins", "staff"), http.StatusNoContent, "")
	expect(t, "group missing", admins, d.IDToken("staff"), http.StatusForbidden, "forbidden")
	expect(t, "another client's ID token", admins, d.IDTokenForClient("billing-web"), http.StatusUnauthorized, "invalid_token")
}
