package providers_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/internal/providers"
	"github.com/identsphere/identsphere-go/stdauth"
)

func TestOkta(t *testing.T) {
	o := providers.NewOkta()
	t.Cleanup(o.Close)
	if !strings.HasSuffix(o.URL(), "/oauth2/default") {
		t.Fatalf("the fixture's issuer %q has no authorization server path", o.URL())
	}
	v := start(t, oktaRecipe(o.URL(), o.Audience))

	accepted := verifyAll(t, v, []verdict{
		{"access token (scp array, cid, uid, no typ)", o.AccessToken([]string{"openid", "orders:read"}, "admins"), ""},
		{"access token for another audience", o.AccessTokenForAudience("api://billing"), "aud"},
		{"access token of another org", o.OtherOrgAccessToken(), "iss"},
		{"ID token (aud = client id)", o.IDToken(), "aud"},
		{"org authorization server token (okta-internal-at+jwt)", o.OrgAccessToken(), "header"},
	})
	if c := accepted["access token (scp array, cid, uid, no typ)"]; c != nil {
		if !slices.Equal(c.Scopes, []string{"openid", "orders:read"}) {
			t.Errorf("scopes from scp: %q", c.Scopes)
		}
		var extra struct {
			CID string `json:"cid"`
			UID string `json:"uid"`
		}
		if err := c.Decode(&extra); err != nil || extra.CID != o.ClientID || extra.UID == "" {
			t.Errorf("cid and uid: %+v, %v", extra, err)
		}
	}

	read := route(v, stdauth.RequireScope("orders:read"))
	admins := route(v, stdauth.RequireClaim(oktaGroups, "admins"))
	expect(t, "scope in scp", read, o.AccessToken([]string{"openid", "orders:read"}), http.StatusNoContent, "")
	a := expect(t, "scope missing", read, o.AccessToken([]string{"openid"}), http.StatusForbidden, "insufficient_scope")
	if !strings.Contains(a.challenge, `scope="orders:read"`) {
		t.Errorf("insufficient_scope challenge %q does not name the scope", a.challenge)
	}
	expect(t, "group", admins, o.AccessToken([]string{"openid"}, "admins", "everyone"), http.StatusNoContent, "")
	expect(t, "group missing", admins, o.AccessToken([]string{"openid"}, "everyone"), http.StatusForbidden, "forbidden")
	expect(t, "org AS token", read, o.OrgAccessToken(), http.StatusUnauthorized, "invalid_token")
}
