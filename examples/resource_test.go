//go:build unix

package examples_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// resourceDoc is the part of a Protected Resource Metadata document the
// starters' tests check.
type resourceDoc struct {
	Resource             string   `json:"resource"`
	AuthorizationServers []string `json:"authorization_servers"`
	BearerMethods        []string `json:"bearer_methods_supported"`
	DPoPAlgs             []string `json:"dpop_signing_alg_values_supported"`
	DPoPRequired         bool     `json:"dpop_bound_access_tokens_required"`
}

// metadata fetches the starter's metadata at path and decodes it.
func metadata(t *testing.T, a *app, path string) resourceDoc {
	t.Helper()
	ans := a.send(t, request{path: path})
	var doc resourceDoc
	if err := json.Unmarshal(ans.body, &doc); ans.status != http.StatusOK || err != nil ||
		ans.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %q %s", path, ans.status, ans.header.Get("Content-Type"), ans.body)
	}
	return doc
}

// The README's Protected Resource Metadata walk-through, black-box: a
// client refused for want of a token reads resource_metadata from the
// challenge, fetches it, and learns the issuer to ask. In dev mode the
// resource is the listen address.
func TestStarterResourceMetadataDevMode(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		a := startApp(t, bin, "ADDR=127.0.0.1:0")
		refused := a.send(t, request{path: "/api/me"})
		want := `Bearer realm="identsphere", ` + rmOf(a.url) + `DPoP ` + rmOf(a.url) + dpopAlgs
		expect(t, "no token", refused, http.StatusUnauthorized, want, "")
		doc := metadata(t, a, "/.well-known/oauth-protected-resource")
		issuer := a.waitLine(
			t,
			a.stdout,
			"the banner's issuer line",
			startTimeout,
			func(l string) bool { return len(l) > 8 && l[:8] == "issuer: " },
		)[8:]
		if doc.Resource != a.url || !slices.Equal(
			doc.AuthorizationServers,
			[]string{issuer},
		) || !slices.Equal(doc.BearerMethods, []string{"header"}) ||
			len(doc.DPoPAlgs) == 0 ||
			doc.DPoPRequired {
			t.Errorf("metadata %+v, want resource %s and authorization server %s", doc, a.url, issuer)
		}
		// A token from that issuer passes.
		token := loginToken(t, a, `{"email":"dev@example.com","password":"any"}`)
		expect(
			t,
			"a token of the named issuer",
			a.send(t, request{path: "/api/me", auth: bearer(token)}),
			http.StatusOK,
			"",
			"",
		)
	})
}

// With IDENTSPHERE_PUBLIC_URL naming a path, the metadata is served at the
// path-suffixed well-known URL (RFC 9728 section 3.1), and DPoP required
// shows in it.
func TestStarterResourceMetadataWithPath(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		iss := newIssuer(t)
		a := startAgainst(
			t,
			bin,
			iss.URL(),
			"IDENTSPHERE_PUBLIC_URL=https://Orders.Example:443/orders",
			"IDENTSPHERE_DPOP=required",
		)
		a.waitReady(t)
		rm := `resource_metadata="https://orders.example/.well-known/oauth-protected-resource/orders"`
		expect(
			t,
			"no token",
			a.send(t, request{path: "/api/me"}),
			http.StatusUnauthorized,
			`DPoP realm="identsphere", `+rm+`, `+dpopAlgs,
			"",
		)
		doc := metadata(t, a, "/.well-known/oauth-protected-resource/orders")
		if doc.Resource != "https://orders.example/orders" ||
			!slices.Equal(doc.AuthorizationServers, []string{iss.URL()}) ||
			!doc.DPoPRequired {
			t.Errorf("metadata %+v", doc)
		}
		if ans := a.send(t, request{path: "/.well-known/oauth-protected-resource"}); ans.status != http.StatusNotFound {
			t.Errorf("the unsuffixed path: %d %s, want 404 (the resource has a path)", ans.status, ans.body)
		}
	})
}
