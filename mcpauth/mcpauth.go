// Package mcpauth puts identsphere token validation in front of a Model
// Context Protocol server over streamable HTTP, such as one built on
// github.com/modelcontextprotocol/go-sdk. The MCP authorization spec makes
// such a server an OAuth resource server: it publishes its Protected
// Resource Metadata (RFC 9728), answers 401 with resource_metadata, takes
// only tokens issued for its own canonical URL (RFC 8707), and answers 403
// insufficient_scope naming the scopes an operation needs.
//
//	rm, _ := core.NewResourceMetadata(core.ProtectedResource{
//		Resource:             "https://mcp.example.com/mcp",
//		AuthorizationServers: []string{issuer},
//	})
//	v, _ := core.New(ctx, core.Config{Issuer: issuer, Audience: []string{"https://mcp.example.com/mcp"}})
//	a, _ := mcpauth.New(v, mcpauth.Config{
//		Metadata:   rm,
//		ToolScopes: map[string][]string{"cancel_order": {"orders.write"}},
//	})
//	mux.Handle("GET "+rm.Path(), rm)
//	mux.Handle("/mcp", a.Middleware(mcp.NewStreamableHTTPHandler(getServer, nil)))
//
// Every decision is core's (the full validation: issuers, DPoP, the cache,
// revocation, the refusal log); this package only reads the tool a
// tools/call names, from the JSON-RPC body under a size cap, so that a
// call is refused before the tool runs. It reads the body strictly (see
// internal/strictjson): a repeated member, or "Name" beside "name", is
// refused (400), since the server's own reader might take the other.
package mcpauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/identsphere/identsphere-go/core"
)

// DefaultMaxBodyBytes caps the JSON-RPC body read for a tool's name.
const DefaultMaxBodyBytes = 1 << 20

// Config configures an Auth.
type Config struct {
	// Metadata is the server's Protected Resource Metadata, whose resource
	// is the server's canonical URL: every 401 names it. Serve it at its
	// Path. The Validator's Config.Audience must be that same URL, so that
	// a token issued for another resource is refused (401). Required.
	Metadata *core.ResourceMetadata
	// ToolScopes maps a tool's name to the scopes a tools/call of it needs
	// (403 insufficient_scope naming those scopes alone otherwise). A tool
	// not listed needs a valid token only.
	ToolScopes map[string][]string
	// Scopes are the scopes a client should ask for when it gets a token,
	// named in every 401 challenge (scope="..."), as the MCP authorization
	// spec asks. Optional.
	Scopes []string
	// MaxBodyBytes caps the body read to find a tools/call's tool (413
	// above it). Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Options are further Authenticator options (DPoP, a realm, a refusal
	// log...).
	Options []core.Option
}

// Auth authenticates the requests of an MCP server.
type Auth struct {
	authn   *core.Authenticator
	tools   map[string]core.Rule
	maxBody int64
}

// New checks cfg and returns an Auth over v. A scope that no token could
// grant is an error.
func New(v core.TokenVerifier, cfg Config) (a *Auth, err error) {
	if cfg.Metadata == nil {
		return nil, errors.New(
			"mcpauth: Config.Metadata is required: the server's Protected Resource Metadata (core.NewResourceMetadata)",
		)
	}
	if cfg.MaxBodyBytes < 0 {
		return nil, errors.New("mcpauth: Config.MaxBodyBytes must not be negative")
	}
	a = &Auth{tools: map[string]core.Rule{}, maxBody: cmpOr(cfg.MaxBodyBytes, DefaultMaxBodyBytes)}
	defer func() {
		if p := recover(); p != nil { // a scope no token can hold (ToolScopes, Scopes)
			a, err = nil, fmt.Errorf("mcpauth: %v", p)
		}
	}()
	for _, name := range slices.Sorted(maps.Keys(cfg.ToolScopes)) {
		if scopes := cfg.ToolScopes[name]; len(scopes) > 0 {
			a.tools[name] = core.RequireScopes(scopes...)
		}
	}
	opts := []core.Option{core.WithResourceMetadata(cfg.Metadata), core.WithoutCookie()}
	if len(cfg.Scopes) > 0 {
		opts = append(opts, core.WithChallengeScope(cfg.Scopes...))
	}
	a.authn = core.NewAuthenticator(v, append(opts, cfg.Options...)...)
	return a, nil
}

func cmpOr(v, def int64) int64 {
	if v > 0 {
		return v
	}
	return def
}

// Middleware admits requests with a valid token, and a tools/call only
// with the scopes of its tool; it answers the others per RFC 6750 and RFC
// 9728 before next runs. Handlers read the claims with core.ClaimsFrom.
func (a *Auth) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, ok := a.authn.Admit(w, r)
		if !ok {
			return
		}
		if r.Method == http.MethodPost && len(a.tools) > 0 {
			rules, ok := a.toolRules(w, r)
			if !ok || !core.Authorize(w, r, rules...) {
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// toolRules reads r's JSON-RPC body (and puts it back for next) and
// returns the rules of the tools its tools/call messages name. A body over
// the cap is answered 413, one that is no strict JSON-RPC message 400
// invalid_request (through the Authenticator: observed and logged), and
// false.
func (a *Auth) toolRules(w http.ResponseWriter, r *http.Request) ([]core.Rule, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.maxBody))
	_ = r.Body.Close()
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		refuse(w, http.StatusRequestEntityTooLarge, "the request body is too large")
		return nil, false
	case err != nil:
		refuse(w, http.StatusBadRequest, "the request body could not be read")
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	names, err := toolNames(body)
	if err != nil { // answered and logged as core answers a malformed request
		a.authn.WriteError(w, r, &core.RequestError{Description: err.Error()})
		return nil, false
	}
	var rules []core.Rule
	for _, name := range names {
		if rule := a.tools[name]; rule != nil {
			rules = append(rules, rule)
		}
	}
	return rules, true
}

// refuse answers a body this package will not read, in the shape of
// core's answers.
func refuse(w http.ResponseWriter, status int, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"error":"invalid_request","error_description":"`+description+`"}`+"\n")
}

// TokenVerifier is a verifier for the SDK's auth.RequireBearerToken, for a
// server that prefers the SDK's middleware: it runs the same full
// validation on the request (its token, its DPoP proof) and reports the
// token's scopes, expiry and user (issuer and subject). Its refusals are
// the SDK's (401, 403), without this package's RFC 6750 descriptions or
// per-tool scopes.
func (a *Auth) TokenVerifier() auth.TokenVerifier {
	return func(_ context.Context, _ string, r *http.Request) (*auth.TokenInfo, error) {
		c, err := a.authn.Authenticate(r)
		if err != nil {
			return nil, fmt.Errorf("%w: %s", auth.ErrInvalidToken, core.NewErrorResponse(err, "").Description)
		}
		return &auth.TokenInfo{Scopes: c.Scopes, Expiration: c.ExpiresAt, UserID: c.Issuer + " " + c.Subject}, nil
	}
}
