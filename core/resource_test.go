package core_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

func TestCanonicalResource(t *testing.T) {
	for raw, want := range map[string]string{
		"https://api.example.com":             "https://api.example.com",
		"https://api.example.com/":            "https://api.example.com",
		"HTTPS://API.Example.COM:443/":        "https://api.example.com",
		"http://127.0.0.1:80/mcp":             "http://127.0.0.1/mcp",
		"https://api.example.com:8443/mcp":    "https://api.example.com:8443/mcp",
		"https://api.example.com/mcp/":        "https://api.example.com/mcp/",
		"https://api.example.com/MCP":         "https://api.example.com/MCP",
		"https://api.example.com/%6dcp":       "https://api.example.com/mcp",
		"https://api.example.com/a%2fb":       "https://api.example.com/a%2Fb",
		"https://api.example.com/mcp?tenant=": "https://api.example.com/mcp?tenant=",
	} {
		got, err := core.CanonicalResource(raw)
		if err != nil || got != want {
			t.Errorf("CanonicalResource(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, raw := range []string{
		"", "orders-api", "api.example.com/mcp", "urn:example:api", "ftp://api.example.com",
		"https://api.example.com/mcp#top", "https://api.example.com/#", "https://user:pw@api.example.com",
		"https:///mcp",
	} {
		if got, err := core.CanonicalResource(raw); err == nil {
			t.Errorf("CanonicalResource(%q) = %q, want an error", raw, got)
		}
	}
}

// An audience given as a resource URL (RFC 8707) accepts the same resource
// spelled otherwise, and nothing else: another path, a trailing slash on a
// path, another port, a fragment.
func TestResourceAudience(t *testing.T) {
	env := authcases.NewEnv(
		t,
		func(c *core.Config) { c.Audience = []string{"https://mcp.example.com/mcp", "https://api.example.com"} },
	)
	for aud, check := range map[string]core.Check{
		"https://mcp.example.com/mcp":          "",
		"HTTPS://MCP.example.com:443/mcp":      "",
		"https://mcp.example.com/%6Dcp":        "",
		"https://api.example.com/":             "",
		"https://API.EXAMPLE.COM:443":          "",
		"https://mcp.example.com/mcp/":         core.CheckAud,
		"https://mcp.example.com/MCP":          core.CheckAud,
		"https://mcp.example.com:8443/mcp":     core.CheckAud,
		"http://mcp.example.com/mcp":           core.CheckAud,
		"https://mcp.example.com/mcp#fragment": core.CheckAud,
		"https://mcp.example.com/other":        core.CheckAud,
		"https://user@mcp.example.com/mcp":     core.CheckAud,
		"mcp.example.com/mcp":                  core.CheckAud,
	} {
		_, err := env.Validator.Verify(
			t.Context(),
			env.Issuer.MustMint(authtest.Claims{"aud": []string{"other-api", aud}}),
		)
		if core.CheckOf(err) != check {
			t.Errorf("aud %q: %v, want check %q", aud, err, check)
		}
	}
}

func TestResourceAudienceRefusedInConfig(t *testing.T) {
	for _, aud := range []string{"https://api.example.com/#main", "https://user:pw@api.example.com"} {
		_, err := core.New(t.Context(), core.Config{Issuer: "https://id.example.com", Audience: []string{aud}})
		if err == nil || !strings.Contains(err.Error(), "Config.Audience") {
			t.Errorf("Audience %q: %v, want an error naming Config.Audience", aud, err)
		}
	}
}

func TestResourceMetadataDocument(t *testing.T) {
	m, err := core.NewResourceMetadata(core.ProtectedResource{
		Resource:                              "HTTPS://MCP.Example.com:443/mcp",
		AuthorizationServers:                  []string{"https://id.example.com", "https://id2.example.com/realms/a"},
		ScopesSupported:                       []string{"tools.read", "tools.write"},
		DPoP:                                  core.DPoPRequired,
		DPoPAlgorithms:                        []string{"ES256", "EdDSA"},
		TLSClientCertificateBoundAccessTokens: true,
		ResourceName:                          "Orders MCP",
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Path() != "/.well-known/oauth-protected-resource/mcp" ||
		m.URL() != "https://mcp.example.com/.well-known/oauth-protected-resource/mcp" {
		t.Errorf("path %q, URL %q", m.Path(), m.URL())
	}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + m.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK ||
		resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %q: %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	want := map[string]any{
		"resource": "https://mcp.example.com/mcp",
		"authorization_servers": []any{
			"https://id.example.com",
			"https://id2.example.com/realms/a",
		},
		"scopes_supported":                           []any{"tools.read", "tools.write"},
		"bearer_methods_supported":                   []any{"header"},
		"dpop_signing_alg_values_supported":          []any{"ES256", "EdDSA"},
		"dpop_bound_access_tokens_required":          true,
		"tls_client_certificate_bound_access_tokens": true,
		"resource_name":                              "Orders MCP",
	}
	got, _ := json.Marshal(doc)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Errorf("metadata\n%s\nwant\n%s", got, wantJSON)
	}

	// A root resource, DPoP allowed: no path suffix, no DPoP requirement,
	// the default algorithms.
	root, err := core.NewResourceMetadata(
		core.ProtectedResource{
			Resource:             "https://api.example.com/",
			AuthorizationServers: []string{"https://id.example.com"},
			DPoP:                 core.DPoPAllowed,
		},
	)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	root.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, root.Path(), nil))
	if root.URL() != "https://api.example.com/.well-known/oauth-protected-resource" ||
		!strings.Contains(
			rec.Body.String(),
			`"dpop_signing_alg_values_supported":["ES256","ES384","ES512","EdDSA","RS256","PS256"]`,
		) ||
		strings.Contains(
			rec.Body.String(),
			"dpop_bound_access_tokens_required",
		) || strings.Contains(rec.Body.String(), "scopes_supported") {
		t.Errorf("root resource: %s at %s", rec.Body, root.URL())
	}
	for method, status := range map[string]int{
		http.MethodHead: http.StatusOK,
		http.MethodPost: http.StatusMethodNotAllowed,
		http.MethodPut:  http.StatusMethodNotAllowed,
	} {
		rec := httptest.NewRecorder()
		root.ServeHTTP(rec, httptest.NewRequest(method, root.Path(), nil))
		if body, _ := io.ReadAll(rec.Body); rec.Code != status || (method == http.MethodHead && len(body) != 0) {
			t.Errorf("%s: %d %q, want %d", method, rec.Code, body, status)
		}
	}
}

func TestResourceMetadataRefusesBadConfiguration(t *testing.T) {
	good := core.ProtectedResource{
		Resource:             "https://api.example.com",
		AuthorizationServers: []string{"https://id.example.com"},
	}
	for name, edit := range map[string]func(*core.ProtectedResource){
		"no resource":              func(p *core.ProtectedResource) { p.Resource = "" },
		"resource with a fragment": func(p *core.ProtectedResource) { p.Resource = "https://api.example.com/#x" },
		"resource with a query":    func(p *core.ProtectedResource) { p.Resource = "https://api.example.com/?a=b" },
		"plain http off loopback":  func(p *core.ProtectedResource) { p.Resource = "http://api.example.com" },
		"no authorization server":  func(p *core.ProtectedResource) { p.AuthorizationServers = nil },
		"authorization server not URL": func(p *core.ProtectedResource) {
			p.AuthorizationServers = []string{"id.example.com"}
		},
		"scope with a space":    func(p *core.ProtectedResource) { p.ScopesSupported = []string{"a b"} },
		"unknown bearer method": func(p *core.ProtectedResource) { p.BearerMethodsSupported = []string{"cookie"} },
		"HS256 for DPoP": func(p *core.ProtectedResource) {
			p.DPoP, p.DPoPAlgorithms = core.DPoPAllowed, []string{"HS256"}
		},
	} {
		pr := good
		edit(&pr)
		if _, err := core.NewResourceMetadata(pr); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := core.NewResourceMetadata(good); err != nil {
		t.Errorf("good: %v", err)
	}
	localhost := good
	localhost.Resource = "http://127.0.0.1:8080"
	if _, err := core.NewResourceMetadata(localhost); err != nil {
		t.Errorf("loopback http: %v", err)
	}
}

// A 403 carries no resource_metadata: the client has the right token, and
// lacks a scope; WriteError and the route rules name it like Admit does.
func TestResourceMetadataOnlyIn401(t *testing.T) {
	env := authcases.NewEnv(t)
	a := core.NewAuthenticator(env.Validator, core.WithResourceMetadata(authcases.ResourceMetadata()))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r, ok := a.Admit(w, r); ok && core.Authorize(w, r, core.RequireScopes("admin")) {
			w.WriteHeader(http.StatusNoContent)
		}
	})
	metadataURL := authcases.ResourceMetadataURL
	for token, want := range map[string]string{
		env.Issuer.MustMint(nil): `Bearer error="insufficient_scope", scope="admin"`,
		"x.y.z":                  `Bearer error="invalid_token", resource_metadata="` + metadataURL + `"`,
	} {
		req := httptest.NewRequest(http.MethodGet, "/api/admin", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := rec.Header().Get("WWW-Authenticate"); got != want {
			t.Errorf("WWW-Authenticate %q, want %q", got, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("WithResourceMetadata(nil) did not panic")
		}
	}()
	core.WithResourceMetadata(nil)
}

// WithChallengeScope names its scopes in every 401, before the metadata,
// and in no 403.
func TestChallengeScope(t *testing.T) {
	env := authcases.NewEnv(t)
	a := core.NewAuthenticator(
		env.Validator,
		core.WithChallengeScope("orders.read", "orders.list"),
		core.WithResourceMetadata(authcases.ResourceMetadata()),
	)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r, ok := a.Admit(w, r); ok && core.Authorize(w, r, core.RequireScopes("admin")) {
			w.WriteHeader(http.StatusNoContent)
		}
	})
	rm := `resource_metadata="` + authcases.ResourceMetadataURL + `"`
	for token, want := range map[string]string{
		"":                       `Bearer realm="identsphere", scope="orders.read orders.list", ` + rm,
		"x.y.z":                  `Bearer error="invalid_token", scope="orders.read orders.list", ` + rm,
		env.Issuer.MustMint(nil): `Bearer error="insufficient_scope", scope="admin"`,
	} {
		req := httptest.NewRequest(http.MethodGet, "/api/admin", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := rec.Header().Get("WWW-Authenticate"); got != want {
			t.Errorf("WWW-Authenticate %q, want %q", got, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("WithChallengeScope with a space did not panic")
		}
	}()
	core.WithChallengeScope("a b")
}
