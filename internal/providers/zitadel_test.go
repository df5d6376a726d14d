package providers_test

import (
	"net/http"
	"testing"

	"github.com/identsphere/identsphere-go/internal/providers"
	"github.com/identsphere/identsphere-go/stdauth"
)

func TestZitadel(t *testing.T) {
	z := providers.NewZitadel()
	t.Cleanup(z.Close)
	v := start(t, zitadelRecipe(z.URL(), z.ClientID))

	accepted := verifyAll(t, v, []verdict{
		{"ID token (aud [client, project], azp client)", z.IDToken("admin"), ""},
		{"ID token of another application", z.IDTokenForClient("284390263130587001@billing"), "aud"},
		{"ID token issued to another application (azp)", z.IDTokenIssuedTo("284390263130587001@billing"), "azp"},
	})
	if c := accepted["ID token (aud [client, project], azp client)"]; c != nil {
		if roles, ok := c.Values(zitadelRoles); !ok || len(roles) != 1 || roles[0] != "admin" {
			t.Errorf("roles read from the object's keys: %q, %v", roles, ok)
		}
	}

	admin := route(v, stdauth.RequireClaim(zitadelRoles, "admin"))
	expect(t, "role", admin, z.IDToken("admin", "viewer"), http.StatusNoContent, "")
	expect(t, "role missing", admin, z.IDToken("viewer"), http.StatusForbidden, "forbidden")
	expect(t, "no roles asserted", admin, z.IDToken(), http.StatusForbidden, "forbidden")
}

// Zitadel's project audiences: every application's ID token carries the
// project id in aud. An API of the project takes the ID tokens of the
// applications it lists in AuthorizedParties, and no other's.
func TestZitadelProjectAudience(t *testing.T) {
	z := providers.NewZitadel()
	t.Cleanup(z.Close)
	v := start(t, zitadelProjectRecipe(z.URL(), z.ProjectID, z.ClientID))
	verifyAll(t, v, []verdict{
		{"ID token of the listed application", z.IDToken("admin"), ""},
		{"ID token of another application of the project", z.IDTokenForClient("284390263130587001@billing"), "azp"},
		{"ID token issued to another application", z.IDTokenIssuedTo("284390263130587001@billing"), "azp"},
	})
	expect(
		t,
		"role",
		route(v, stdauth.RequireClaim(zitadelRoles, "admin")),
		z.IDToken("admin"),
		http.StatusNoContent,
		"",
	)
}
