package providers_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/providers"
	"github.com/identsphere/identsphere-go/stdauth"
)

func TestEntraV2(t *testing.T) {
	e := providers.NewEntra()
	t.Cleanup(e.Close)
	// start fails on any refused key: both of Entra's keys, with their
	// issuer template, x5c and x5t, must load.
	v := start(t, entraV2Recipe(e.URL(), e.APIAppID))

	accepted := verifyAll(t, v, []verdict{
		{"delegated v2.0 token (scp string)", e.V2AccessToken("Orders.Read Orders.Write"), ""},
		{"signed with the second published key", e.V2AccessTokenSignedWithSecondKey("Orders.Read"), ""},
		{"app-only v2.0 token (roles)", e.AppOnlyToken("Orders.Read.All"), ""},
		{"v2.0 token for another API", e.V2AccessTokenForAPI("00000002-0000-0000-c000-000000000000"), "aud"},
		{"another tenant, same keys", e.OtherTenantAccessToken(), "iss"},
		{"ID token (aud = the client app)", e.IDToken(), "aud"},
		{"v1.0 token (sts.windows.net issuer)", e.V1AccessToken("user_impersonation"), "iss"},
		{"Graph token (nonce in the header)", e.GraphToken(), "header"},
	})
	if c := accepted["delegated v2.0 token (scp string)"]; c != nil &&
		(!c.HasScope("Orders.Read") || !c.HasScope("Orders.Write") || c.AuthorizedParty != e.ClientAppID) {
		t.Errorf("scp string read as scopes %q, azp %q", c.Scopes, c.AuthorizedParty)
	}

	read := route(v, stdauth.RequireScope("Orders.Read"))
	readAll := route(v, stdauth.RequireClaim(entraRoles, "Orders.Read.All"))
	expect(t, "delegated scope", read, e.V2AccessToken("Orders.Read"), http.StatusNoContent, "")
	expect(
		t,
		"delegated scope missing",
		read,
		e.V2AccessToken("Orders.Write"),
		http.StatusForbidden,
		"insufficient_scope",
	)
	expect(
		t,
		"app-only token on a delegated route",
		read,
		e.AppOnlyToken("Orders.Read.All"),
		http.StatusForbidden,
		"insufficient_scope",
	)
	expect(t, "application permission", readAll, e.AppOnlyToken("Orders.Read.All"), http.StatusNoContent, "")
	expect(
		t,
		"application permission missing",
		readAll,
		e.AppOnlyToken("Orders.Write.All"),
		http.StatusForbidden,
		"forbidden",
	)
	expect(
		t,
		"delegated token on an app-only route",
		readAll,
		e.V2AccessToken("Orders.Read"),
		http.StatusForbidden,
		"forbidden",
	)
	a := expect(t, "Graph token", read, e.GraphToken(), http.StatusUnauthorized, "invalid_token")
	if !strings.Contains(a.description, "Graph") || !strings.Contains(a.description, "nonce") {
		t.Errorf("the Graph token's refusal does not say why: %q", a.description)
	}
}

func TestEntraV1(t *testing.T) {
	e := providers.NewEntra()
	t.Cleanup(e.Close)
	v := start(t, entraV1Recipe(e.V1Issuer(), e.JWKSURL(), e.APIAppIDURI))
	verifyAll(t, v, []verdict{
		{"delegated v1.0 token", e.V1AccessToken("user_impersonation"), ""},
		{"v2.0 token", e.V2AccessToken("Orders.Read"), "iss"},
		{"Graph token", e.GraphToken(), "header"},
	})
	expect(
		t,
		"v1.0 scope",
		route(v, stdauth.RequireScope("user_impersonation")),
		e.V1AccessToken("user_impersonation"),
		http.StatusNoContent,
		"",
	)
}

// TestEntraKeySetShape checks that the fixture publishes what Entra
// publishes, and that the certificates it carries are checked: a key whose
// x5c is another key's certificate is refused, and the other key still
// serves.
func TestEntraKeySetShape(t *testing.T) {
	e := providers.NewEntra()
	t.Cleanup(e.Close)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(e.JWKS(), &set); err != nil || len(set.Keys) != 2 {
		t.Fatalf("the key set: %v, %d keys", err, len(set.Keys))
	}
	for n, k := range set.Keys {
		x5c, _ := k["x5c"].([]any)
		if k["issuer"] != "https://login.microsoftonline.com/{tenantid}/v2.0" || len(x5c) != 1 ||
			k["x5t"] != e.KIDs()[n] || k["kid"] != e.KIDs()[n] || k["alg"] != nil || k["cloud_instance_name"] == nil {
			t.Errorf("key %d is not shaped as Entra's: %v", n, k)
		}
	}

	again := providers.NewEntra()
	again.Close()
	if again.KIDs() != e.KIDs() || !bytes.Equal(again.JWKS(), e.JWKS()) {
		t.Error("the certificates, and so the kids, differ from one fixture to the next")
	}

	set.Keys[1]["x5c"] = set.Keys[0]["x5c"] // the second key carries the first's certificate
	forged, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(forged, e.JWKS()) {
		t.Fatal("the forged set is the real one")
	}
	e.SetJWKS(forged)
	v, rec := newValidator(t, entraV2Recipe(e.URL(), e.APIAppID))
	verifyAll(t, v, []verdict{
		{"signed with the first key", e.V2AccessToken("Orders.Read"), ""},
		{"signed with the key whose x5c is not its own", e.V2AccessTokenSignedWithSecondKey("Orders.Read"), "key"},
	})
	w := rec.all()
	if len(w) != 1 || !strings.Contains(w[0], "refused") || !strings.Contains(w[0], e.KIDs()[1]) {
		t.Errorf("warnings %q, want one: the second key refused", w)
	}
}

// TestEntraMultiTenant runs the multi-tenant recipe: an IssuerTemplate of
// the v2.0 issuer, the tenants you allow, tid checked against the tenant
// of iss, and the common keys.
func TestEntraMultiTenant(t *testing.T) {
	e := providers.NewEntra()
	t.Cleanup(e.Close)
	customers := map[string]bool{e.TenantID: true, providers.EntraOtherTenant: true}
	rec := newWarnings()
	v, err := core.NewMulti(t.Context(), core.MultiConfig{
		Templates: []core.IssuerTemplate{{
			Issuer:      e.V2IssuerOf("{tenant}"),
			Config:      core.Config{Audience: []string{e.APIAppID}, JWKSURL: e.JWKSURL()},
			AllowTenant: func(tid string) bool { return customers[tid] },
			TenantClaim: "tid",
		}},
		Logger: slog.New(rec),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })

	const stranger = "0c2f5e8a-1b3d-4f6a-9c7e-2d4b6f8a0c1e"
	accepted := verifyAll(t, v, []verdict{
		{"a customer tenant's token", e.V2AccessToken("Orders.Read"), ""},
		{
			"another customer tenant's token, same keys",
			e.TenantAccessToken(providers.EntraOtherTenant, providers.EntraOtherTenant),
			"",
		},
		{"a tenant that is not a customer", e.TenantAccessToken(stranger, stranger), "iss"},
		{
			"iss of one customer, tid of another",
			e.TenantAccessToken(providers.EntraOtherTenant, e.TenantID),
			core.CheckTenant,
		},
		{"a customer's token for another API", e.V2AccessTokenForAPI("00000002-0000-0000-c000-000000000000"), "aud"},
		{"Graph token", e.GraphToken(), "header"},
	})
	if c := accepted["another customer tenant's token, same keys"]; c != nil &&
		c.Issuer != e.V2IssuerOf(providers.EntraOtherTenant) {
		t.Errorf("admitted with iss %q", c.Issuer)
	}
	expect(
		t,
		"customer tenant",
		route(v, stdauth.RequireClaim(entraRoles, "Orders.Read.All")),
		e.AppOnlyToken("Orders.Read.All"),
		http.StatusNoContent,
		"",
	)
	if w := rec.all(); len(w) > 0 {
		t.Errorf("the validator warned: %s", strings.Join(w, "; "))
	}
}

// entraAuthContextChallenge is the claims challenge of a route that needs
// the authentication context c1, as the README shows it.
const entraAuthContextChallenge = `Bearer error="insufficient_claims", ` +
	`claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiYzEifX19"`

// The Entra recipe's step-up: a route that needs the authentication
// context c1 admits a token whose acrs holds it, and answers the others
// with Entra's claims challenge (insufficient_claims, claims=base64).
func TestEntraAuthContextStepUp(t *testing.T) {
	e := providers.NewEntra()
	t.Cleanup(e.Close)
	v := start(t, entraV2Recipe(e.URL(), e.APIAppID))
	h := route(v, stdauth.RequireScope("Orders.Write"), stdauth.Require(core.RequireEntraAuthContext("c1")))
	expect(t, "login that met c1", h, e.V2AccessTokenWithAuthContext("Orders.Write", "c1"), http.StatusNoContent, "")
	for name, token := range map[string]string{
		"login without an authentication context": e.V2AccessToken("Orders.Write"),
		"login that met another context":          e.V2AccessTokenWithAuthContext("Orders.Write", "c2"),
	} {
		a := expect(t, name, h, token, http.StatusUnauthorized, "insufficient_claims")
		if a.challenge != entraAuthContextChallenge {
			t.Errorf("%s: WWW-Authenticate %q, want %q", name, a.challenge, entraAuthContextChallenge)
		}
	}
}
