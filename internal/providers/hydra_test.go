package providers_test

import (
	"net/http"
	"testing"

	"github.com/identsphere/identsphere-go/internal/providers"
	"github.com/identsphere/identsphere-go/stdauth"
)

func TestHydra(t *testing.T) {
	h := providers.NewHydra()
	t.Cleanup(h.Close)
	v := start(t, hydraRecipe(h.URL(), h.API))

	accepted := verifyAll(t, v, []verdict{
		{"access token (ES256, scp array, requested audience)", h.AccessToken([]string{h.API}, true), ""},
		{"access token without a requested audience (aud [])", h.AccessToken(nil, true), "aud"},
		{"access token for another audience", h.AccessToken([]string{"billing-api"}, true), "aud"},
		{"ID token (RS256, aud [client id])", h.IDToken(), "typ"},
	})
	if c := accepted["access token (ES256, scp array, requested audience)"]; c != nil &&
		(c.ClientID != h.ClientID || !c.HasScope("orders.read")) {
		t.Errorf("claims: client_id %q, scopes %q", c.ClientID, c.Scopes)
	}

	read := route(v, stdauth.RequireScope("orders.read"), stdauth.Require(hydraVerifiedEmail))
	expect(t, "scope, email verified under ext", read, h.AccessToken([]string{h.API}, true), http.StatusNoContent, "")
	expect(
		t,
		"email not verified under ext",
		read,
		h.AccessToken([]string{h.API}, false),
		http.StatusForbidden,
		"forbidden",
	)
	expect(t, "ID token", read, h.IDToken(), http.StatusUnauthorized, "invalid_token")
}

// A gateway in front of Hydra's client takes its ID tokens (separately
// keyed, RS256) and refuses its access tokens.
func TestHydraIDTokens(t *testing.T) {
	h := providers.NewHydra()
	t.Cleanup(h.Close)
	v := start(t, hydraIDRecipe(h.URL(), h.ClientID))
	verifyAll(t, v, []verdict{
		{"ID token (RS256, aud [client id], at_hash)", h.IDToken(), ""},
		{"access token audienced to the API", h.AccessToken([]string{h.API}, true), "aud"},
		{"access token without a requested audience", h.AccessToken(nil, true), "aud"},
	})
	gateway := route(v, stdauth.RequireVerifiedEmail())
	expect(t, "ID token, email verified", gateway, h.IDToken(), http.StatusNoContent, "")
}

// TestHydraAlgorithms: Hydra's discovery advertises the ID-token
// algorithm (RS256) alone, and its access tokens are ES256. The recipe
// sets no Algorithms, so the published keys decide and both kinds of key
// verify; Algorithms copied from discovery would refuse every access
// token, and Algorithms naming the access-token keys' algorithm refuses ID
// tokens by their algorithm.
func TestHydraAlgorithms(t *testing.T) {
	h := providers.NewHydra()
	t.Cleanup(h.Close)
	fromDiscovery := hydraRecipe(h.URL(), h.API)
	fromDiscovery.Algorithms = []string{"RS256"}
	verifyAll(t, start(t, fromDiscovery), []verdict{
		{"access token (ES256), Algorithms [RS256]", h.AccessToken([]string{h.API}, true), "alg"},
	})
	accessOnly := hydraRecipe(h.URL(), h.API)
	accessOnly.Algorithms = []string{"ES256"}
	verifyAll(t, start(t, accessOnly), []verdict{
		{"access token (ES256), Algorithms [ES256]", h.AccessToken([]string{h.API}, true), ""},
		{"ID token (RS256), Algorithms [ES256]", h.IDToken(), "alg"},
	})
}
