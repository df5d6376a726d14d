package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/identsphere/identsphere-go/authtest"
)

// bearerTransport adds a token to every request of the MCP client, as a
// client does once it has one.
type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// serve starts the server on loopback, the resource being its own URL,
// against a fake issuer that mints tokens for that resource.
func serve(t *testing.T) (*authtest.Issuer, string, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	resource := base + "/mcp"
	iss := authtest.NewIssuer(authtest.WithAudience(resource))
	t.Cleanup(iss.Close)
	h, v, err := newHandler(t.Context(), iss.URL(), resource)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	if err := v.WaitReady(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return iss, base, resource
}

// connect opens an MCP session with the SDK's own client, sending token.
func connect(t *testing.T, resource, token string) (*mcp.ClientSession, error) {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "0.1.0"}, nil)
	return client.Connect(
		t.Context(),
		&mcp.StreamableClientTransport{Endpoint: resource, HTTPClient: &http.Client{Transport: bearerTransport{token}}},
		nil,
	)
}

// The walk-through: a client without a token is refused 401 with the
// metadata's URL; the metadata names the issuer; a token of that issuer
// for this server calls the tool it has the scope of; a tool it lacks the
// scope of is refused 403 naming that scope alone, before the tool runs;
// a token for another resource is refused 401.
func TestMCPServer(t *testing.T) {
	iss, base, resource := serve(t)

	// Discovery: the 401's resource_metadata, then the document.
	resp, err := http.Post(
		resource,
		"application/json",
		strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`),
	)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	metadataURL := base + "/.well-known/oauth-protected-resource/mcp"
	want := `Bearer realm="identsphere", scope="orders.read", resource_metadata="` + metadataURL + `"`
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != want {
		t.Fatalf("no token: %d %q, want 401 %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
	}
	mresp, err := http.Get(metadataURL)
	if err != nil {
		t.Fatal(err)
	}
	defer mresp.Body.Close()
	var doc struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
		Scopes               []string `json:"scopes_supported"`
	}
	if err := json.NewDecoder(mresp.Body).Decode(&doc); err != nil || doc.Resource != resource ||
		len(doc.AuthorizationServers) != 1 ||
		doc.AuthorizationServers[0] != iss.URL() {
		t.Fatalf("metadata %+v, %v", doc, err)
	}

	// A token of that issuer, for this resource, with orders.read.
	session, err := connect(t, resource, iss.MustMint(authtest.Claims{"scope": "orders.read"}))
	if err != nil {
		t.Fatalf("connect with a token for this server: %v", err)
	}
	defer session.Close()
	res, err := session.CallTool(t.Context(), &mcp.CallToolParams{Name: "list_orders", Arguments: map[string]any{}})
	if err != nil || res.IsError || len(res.Content) != 1 || res.Content[0].(*mcp.TextContent).Text != "no orders" {
		t.Fatalf("list_orders: %+v, %v", res, err)
	}
	// cancel_order needs orders.write: refused before the tool runs.
	if res, err := session.CallTool(
		t.Context(),
		&mcp.CallToolParams{Name: "cancel_order", Arguments: map[string]any{"id": "o-1"}},
	); err == nil {
		t.Fatalf("cancel_order without orders.write: %+v", res)
	}
	// The refusal as the client's HTTP sees it: 403 naming orders.write.
	req, _ := http.NewRequestWithContext(
		context.Background(),
		http.MethodPost,
		resource,
		strings.NewReader(
			`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"cancel_order","arguments":{"id":"o-1"}}}`,
		),
	)
	req.Header.Set("Authorization", "Bearer "+iss.MustMint(authtest.Claims{"scope": "orders.read"}))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := `Bearer error="insufficient_scope", scope="orders.write"`; resp.StatusCode != http.StatusForbidden ||
		resp.Header.Get("WWW-Authenticate") != want {
		t.Errorf(
			"cancel_order without its scope: %d %q, want 403 %q",
			resp.StatusCode,
			resp.Header.Get("WWW-Authenticate"),
			want,
		)
	}
	// With orders.write, it runs.
	writer, err := connect(t, resource, iss.MustMint(authtest.Claims{"scope": "orders.write"}))
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if res, err := writer.CallTool(
		t.Context(),
		&mcp.CallToolParams{Name: "cancel_order", Arguments: map[string]any{"id": "o-1"}},
	); err != nil ||
		res.IsError {
		t.Fatalf("cancel_order with orders.write: %+v, %v", res, err)
	}

	// A token the same issuer minted for another resource.
	if _, err := connect(
		t,
		resource,
		iss.MustMint(authtest.Claims{"aud": base + "/other", "scope": "orders.read"}),
	); err == nil {
		t.Fatal("a token for another resource was taken")
	}
	req, _ = http.NewRequestWithContext(
		context.Background(),
		http.MethodPost,
		resource,
		strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`),
	)
	req.Header.Set("Authorization", "Bearer "+iss.MustMint(authtest.Claims{"aud": base + "/other"}))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want = `Bearer error="invalid_token", scope="orders.read", resource_metadata="` + metadataURL + `"`
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != want {
		t.Errorf(
			"a token for another resource: %d %q, want 401 %q",
			resp.StatusCode,
			resp.Header.Get("WWW-Authenticate"),
			want,
		)
	}
}
