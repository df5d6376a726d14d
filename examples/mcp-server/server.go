package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/mcpauth"
)

// Scopes of the tools: listing orders reads, cancelling one writes.
const (
	scopeRead  = "orders.read"
	scopeWrite = "orders.write"
)

// newHandler serves the MCP server at resource's path (streamable HTTP)
// and its Protected Resource Metadata, taking tokens of issuer issued for
// resource alone. Close the Validator it returns when done.
func newHandler(ctx context.Context, issuer, resource string) (http.Handler, *core.Validator, error) {
	rm, err := core.NewResourceMetadata(core.ProtectedResource{
		Resource:             resource,
		AuthorizationServers: []string{issuer},
		ScopesSupported:      []string{scopeRead, scopeWrite},
		ResourceName:         "Orders MCP server",
	})
	if err != nil {
		return nil, nil, err
	}
	// The audience is the server's canonical URL (RFC 8707): a token the
	// issuer minted for another resource is refused.
	v, err := core.New(ctx, core.Config{Issuer: issuer, Audience: []string{resource}})
	if err != nil {
		return nil, nil, err
	}
	auth, err := mcpauth.New(
		v,
		mcpauth.Config{Metadata: rm, Scopes: []string{scopeRead}, ToolScopes: map[string][]string{
			"list_orders":  {scopeRead},
			"cancel_order": {scopeWrite},
		}},
	)
	if err != nil {
		_ = v.Close()
		return nil, nil, err
	}
	server := mcpServer()
	mux := http.NewServeMux()
	mux.Handle("GET "+rm.Path(), rm)
	path, err := resourcePath(resource)
	if err != nil {
		_ = v.Close()
		return nil, nil, err
	}
	mux.Handle(
		path,
		auth.Middleware(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)),
	)
	return mux, v, nil
}

// orderArgs are the arguments of the order tools.
type orderArgs struct {
	ID string `json:"id,omitempty" jsonschema:"the order id"`
}

// mcpServer is the MCP server and its tools. They run only for callers the
// middleware admitted, with the scopes each needs.
func mcpServer() *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "orders", Version: "0.1.0"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "list_orders", Description: "Lists the caller's orders."},
		func(context.Context, *mcp.CallToolRequest, orderArgs) (*mcp.CallToolResult, any, error) {
			return text("no orders"), nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "cancel_order", Description: "Cancels an order."},
		func(_ context.Context, _ *mcp.CallToolRequest, args orderArgs) (*mcp.CallToolResult, any, error) {
			return text(fmt.Sprintf("order %q cancelled", args.ID)), nil, nil
		})
	return s
}

func text(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}

// resourcePath is the path of a resource URL, where the server is served.
func resourcePath(resource string) (string, error) {
	u, err := url.Parse(resource)
	if err != nil || u.Path == "" {
		return "", fmt.Errorf("the resource %q has no path to serve the MCP server at", resource)
	}
	return u.Path, nil
}
