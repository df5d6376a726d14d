package providers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/internal/providers"
)

func TestGoogle(t *testing.T) {
	g := providers.NewGoogle()
	t.Cleanup(g.Close)
	if strings.Contains(g.SchemelessIssuer(), "://") {
		t.Fatalf("the schemeless issuer %q has a scheme", g.SchemelessIssuer())
	}
	v := start(t, googleRecipe(g.URL(), g.SchemelessIssuer(), g.ClientID))

	verifyAll(t, v, []verdict{
		{"ID token, iss with scheme", g.IDToken(g.URL(), true), ""},
		{"ID token, iss without scheme", g.IDToken(g.SchemelessIssuer(), true), ""},
		{"ID token of another client", g.IDTokenForClient("98765-other.apps.googleusercontent.com"), "aud"},
		{"ID token of another issuer", g.IDToken("https://accounts.example.com", true), "iss"},
		{"opaque access token (ya29.)", g.AccessToken(), "format"},
		{
			"cross-client ID token (azp an Android app)",
			g.CrossClientIDToken("1234987819200-android.apps.googleusercontent.com"),
			"azp",
		},
	})

	h := route(v)
	expect(t, "ID token", h, g.IDToken(g.SchemelessIssuer(), true), http.StatusNoContent, "")
	expect(t, "email not verified", h, g.IDToken(g.URL(), false), http.StatusForbidden, "forbidden")
	expect(t, "access token", h, g.AccessToken(), http.StatusUnauthorized, "invalid_token")
}
