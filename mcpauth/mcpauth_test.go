package mcpauth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/mcpauth"
)

func newAuth(t *testing.T, maxBody int64) (*authtest.Issuer, *mcpauth.Auth) {
	t.Helper()
	env := authcases.NewEnv(t)
	a, err := mcpauth.New(env.Validator, mcpauth.Config{Metadata: authcases.ResourceMetadata(), MaxBodyBytes: maxBody,
		ToolScopes: map[string][]string{"cancel_order": {"orders.write"}, "list_orders": nil}})
	if err != nil {
		t.Fatal(err)
	}
	return env.Issuer, a
}

// The tool a tools/call names decides the scopes, read from the body,
// which the server still gets whole; other messages need a valid token
// only; a body over the cap is refused before anything runs.
func TestMiddlewareToolScopes(t *testing.T) {
	iss, a := newAuth(t, 256)
	var got string
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 512)
		n, _ := r.Body.Read(buf)
		got = string(buf[:n])
		w.WriteHeader(http.StatusNoContent)
	}))
	reader := iss.MustMint(authtest.Claims{"scope": "orders.read"})
	writer := iss.MustMint(authtest.Claims{"scope": "orders.write"})
	cancel := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"cancel_order","arguments":{"id":"o-1"}}}`
	for _, tc := range []struct {
		name, body, token string
		status            int
		challenge         string
	}{
		{"a tool without its scope", cancel, reader, http.StatusForbidden, `Bearer error="insufficient_scope", ` +
			`scope="orders.write"`},
		{"a tool with its scope", cancel, writer, http.StatusNoContent, ""},
		{
			"a tool that needs no scope",
			`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_orders"}}`,
			reader,
			http.StatusNoContent,
			"",
		},
		{
			"an unlisted tool",
			`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"other"}}`,
			reader,
			http.StatusNoContent,
			"",
		},
		{"another method", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, reader, http.StatusNoContent, ""},
		{
			"a batch with the tool",
			`[{"jsonrpc":"2.0","id":1,"method":"tools/list"},` + cancel + `]`,
			reader,
			http.StatusForbidden,
			`Bearer error="insufficient_scope", scope="orders.write"`,
		},
		{"a batch without it", `[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]`, reader, http.StatusNoContent, ""},
		{"not JSON", `cancel_order`, reader, http.StatusBadRequest, `Bearer error="invalid_request"`},
		// Smuggling: what encoding/json would read as list_orders, a
		// case-sensitive reader as cancel_order, or the reverse.
		{
			"Name beside name",
			`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"cancel_order","Name":"list_orders"}}`,
			reader,
			http.StatusBadRequest,
			`Bearer error="invalid_request"`,
		},
		{
			"name twice",
			`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"cancel_order","name":"list_orders"}}`,
			reader,
			http.StatusBadRequest,
			`Bearer error="invalid_request"`,
		},
		{
			"escaped name twice",
			`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"cancel_order","\u006eame":"list_orders"}}`,
			reader,
			http.StatusBadRequest,
			`Bearer error="invalid_request"`,
		},
		{
			"Method beside method",
			`{"jsonrpc":"2.0","id":2,"Method":"tools/call","method":"tools/list","params":{"name":"cancel_order"}}`,
			reader,
			http.StatusBadRequest,
			`Bearer error="invalid_request"`,
		},
		{
			"a tool name that is no string",
			`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":["cancel_order"]}}`,
			reader,
			http.StatusBadRequest,
			`Bearer error="invalid_request"`,
		},
		{
			"over the cap",
			`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"cancel_order","pad":"` +
				strings.Repeat("x", 300) + `"}}`,
			reader,
			http.StatusRequestEntityTooLarge,
			"",
		},
		{
			"no token",
			cancel,
			"",
			http.StatusUnauthorized,
			`Bearer realm="identsphere", resource_metadata="` + authcases.ResourceMetadataURL + `"`,
		},
	} {
		got = ""
		req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(tc.body))
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status || rec.Header().Get("WWW-Authenticate") != tc.challenge {
			t.Errorf(
				"%s: %d %q, want %d %q",
				tc.name,
				rec.Code,
				rec.Header().Get("WWW-Authenticate"),
				tc.status,
				tc.challenge,
			)
		}
		if (tc.status == http.StatusNoContent) != (got == tc.body) {
			t.Errorf("%s: the server got %q", tc.name, got)
		}
	}
}

// TokenVerifier runs the full validation for the SDK's own middleware.
func TestTokenVerifierForTheSDKMiddleware(t *testing.T) {
	iss, a := newAuth(t, 0)
	h := auth.RequireBearerToken(
		a.TokenVerifier(),
		&auth.RequireBearerTokenOptions{Scopes: []string{"orders.read"}},
	)(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ti := auth.TokenInfoFromContext(r.Context()); ti == nil ||
				!strings.HasSuffix(ti.UserID, " "+authtest.DefaultSubject) {
				t.Errorf("token info %+v", ti)
			}
			w.WriteHeader(http.StatusNoContent)
		}),
	)
	bound := map[string]string{"jkt": "x"}
	for token, status := range map[string]int{
		iss.MustMint(authtest.Claims{"scope": "orders.read"}):                 http.StatusNoContent,
		iss.MustMint(authtest.Claims{"scope": "orders.write"}):                http.StatusForbidden,
		iss.MustMint(authtest.Claims{"scope": "orders.read", "aud": "other"}): http.StatusUnauthorized,
		iss.MustMint(authtest.Claims{"scope": "orders.read", "cnf": bound}):   http.StatusUnauthorized,
	} {
		req := httptest.NewRequest(http.MethodGet, "/mcp", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != status {
			t.Errorf("%d %s, want %d", rec.Code, rec.Body, status)
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	env := authcases.NewEnv(t)
	for name, cfg := range map[string]mcpauth.Config{
		"no metadata":  {},
		"negative cap": {Metadata: authcases.ResourceMetadata(), MaxBodyBytes: -1},
		"scope with a space": {
			Metadata:   authcases.ResourceMetadata(),
			ToolScopes: map[string][]string{"t": {"a b"}},
		},
		"challenge scope with a quote": {Metadata: authcases.ResourceMetadata(), Scopes: []string{`a"b`}},
	} {
		if _, err := mcpauth.New(env.Validator, cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
