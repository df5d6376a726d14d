package core

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// ResourceMetadataPath is the well-known path of Protected Resource
// Metadata (RFC 9728 section 3): a resource with a path publishes it
// there with its path appended ("/.well-known/oauth-protected-resource/mcp"
// for https://api.example.com/mcp).
const ResourceMetadataPath = "/.well-known/oauth-protected-resource"

// ProtectedResource describes this API to its clients (RFC 9728): which
// authorization servers issue its tokens, and how tokens must be sent. It
// is what NewResourceMetadata publishes.
type ProtectedResource struct {
	// Resource is the API's resource identifier: the URL clients reach it
	// at, such as "https://api.example.com" or "https://api.example.com/mcp"
	// (an MCP server's URL). Published in canonical form (see
	// CanonicalResource). Required; plain http only on loopback.
	Resource string
	// AuthorizationServers are the issuers whose tokens this API takes
	// (Config.Issuer of each), where clients find how to get one.
	// Required.
	AuthorizationServers []string
	// ScopesSupported are the scopes the API's routes need, for clients
	// that ask for tokens ahead of a refusal. Optional.
	ScopesSupported []string
	// BearerMethodsSupported is how a token may be sent. Default
	// ["header"] (the Authorization header); the cookie this library also
	// reads is no RFC 6750 method.
	BearerMethodsSupported []string
	// DPoP is how the API takes DPoP-bound tokens (its DPoPConfig.Mode):
	// under DPoPAllowed and DPoPRequired, dpop_signing_alg_values_supported
	// lists DPoPAlgorithms; under DPoPRequired,
	// dpop_bound_access_tokens_required is true.
	DPoP DPoPMode
	// DPoPAlgorithms are the proof algorithms accepted (its
	// DPoPConfig.Algorithms). Default the DPoP defaults.
	DPoPAlgorithms []string
	// TLSClientCertificateBoundAccessTokens says the API takes
	// certificate-bound tokens (RFC 8705; see WithCertificateBinding).
	TLSClientCertificateBoundAccessTokens bool
	// ResourceName is a human-readable name of the API. Optional.
	ResourceName string
}

// resourceMetadataDoc is the JSON document of RFC 9728 section 2.
type resourceMetadataDoc struct {
	Resource                  string   `json:"resource"`
	AuthorizationServers      []string `json:"authorization_servers"`
	ScopesSupported           []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported    []string `json:"bearer_methods_supported"`
	ResourceName              string   `json:"resource_name,omitempty"`
	TLSClientCertificateBound bool     `json:"tls_client_certificate_bound_access_tokens,omitempty"`
	DPoPAlgorithms            []string `json:"dpop_signing_alg_values_supported,omitempty"`
	DPoPBoundRequired         bool     `json:"dpop_bound_access_tokens_required,omitempty"`
}

// ResourceMetadata serves an API's Protected Resource Metadata (RFC 9728)
// and names it in challenges: mount it at Path, and give it to the
// Authenticators with WithResourceMetadata, so that every 401 carries
// resource_metadata="<URL>" and a client that got one finds the issuer to
// ask for a token.
type ResourceMetadata struct {
	doc  []byte
	path string
	url  string
}

// NewResourceMetadata checks pr and builds its document, once: serving it
// costs a write.
func NewResourceMetadata(pr ProtectedResource) (*ResourceMetadata, error) {
	resource, err := CanonicalResource(pr.Resource)
	if err != nil {
		return nil, fmt.Errorf("identsphere: ProtectedResource.Resource %q: %w", pr.Resource, err)
	}
	if err := checkURL(resource, false); err != nil { // a query, plain http off loopback
		return nil, fmt.Errorf("identsphere: ProtectedResource.Resource %q: %w", pr.Resource, err)
	}
	if err := pr.check(); err != nil {
		return nil, err
	}
	doc := resourceMetadataDoc{
		Resource:                  resource,
		AuthorizationServers:      slices.Clone(pr.AuthorizationServers),
		ScopesSupported:           slices.Clone(pr.ScopesSupported),
		BearerMethodsSupported:    slices.Clone(pr.BearerMethodsSupported),
		ResourceName:              pr.ResourceName,
		TLSClientCertificateBound: pr.TLSClientCertificateBoundAccessTokens,
	}
	if len(doc.BearerMethodsSupported) == 0 {
		doc.BearerMethodsSupported = []string{"header"}
	}
	if pr.DPoP != DPoPDisabled {
		doc.DPoPAlgorithms = slices.Clone(pr.DPoPAlgorithms)
		if len(doc.DPoPAlgorithms) == 0 {
			doc.DPoPAlgorithms = slices.Clone(defaultDPoPAlgorithms)
		}
		doc.DPoPBoundRequired = pr.DPoP == DPoPRequired
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("identsphere: encoding the resource metadata: %w", err)
	}
	origin, path := splitResource(resource)
	m := &ResourceMetadata{doc: append(body, '\n'), path: ResourceMetadataPath + path}
	m.url = origin + m.path
	return m, nil
}

// check reports what is wrong in pr beside its Resource.
func (pr ProtectedResource) check() error {
	var errs []error
	if len(pr.AuthorizationServers) == 0 {
		errs = append(
			errs,
			errors.New(
				"identsphere: ProtectedResource.AuthorizationServers "+
					"is required: the issuers whose tokens the API takes",
			),
		)
	}
	for _, as := range pr.AuthorizationServers {
		if err := checkURL(as, false); err != nil {
			errs = append(errs, fmt.Errorf("identsphere: ProtectedResource.AuthorizationServers %q: %w", as, err))
		}
	}
	for _, s := range pr.ScopesSupported {
		if s == "" || scopeTokens([]string{s}) != s {
			errs = append(
				errs,
				fmt.Errorf("identsphere: ProtectedResource.ScopesSupported: %q is not a valid scope", s),
			)
		}
	}
	for _, m := range pr.BearerMethodsSupported {
		if m != "header" && m != "body" && m != "query" {
			errs = append(
				errs,
				fmt.Errorf("identsphere: ProtectedResource.BearerMethodsSupported: %q is not header, body or query", m),
			)
		}
	}
	switch pr.DPoP {
	case DPoPDisabled, DPoPAllowed, DPoPRequired:
	default:
		errs = append(errs, fmt.Errorf("identsphere: ProtectedResource.DPoP: unknown DPoPMode %d", pr.DPoP))
	}
	if _, err := newDPoPChecker(DPoPConfig{Algorithms: pr.DPoPAlgorithms}); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// splitResource splits a canonical resource URL into its origin and its
// path ("" for none).
func splitResource(resource string) (origin, path string) {
	scheme, rest, _ := strings.Cut(resource, "://")
	host, path, _ := strings.Cut(rest, "/")
	if path != "" || strings.HasSuffix(rest, "/") {
		path = "/" + path
	}
	return scheme + "://" + host, path
}

// Path is where to serve the metadata: ResourceMetadataPath, followed by
// the resource's path if it has one.
func (m *ResourceMetadata) Path() string { return m.path }

// URL is the metadata's URL, which challenges name in resource_metadata.
func (m *ResourceMetadata) URL() string { return m.url }

// ServeHTTP answers GET and HEAD with the metadata document (public: any
// origin may read it, and caches may keep it an hour), and other methods
// with 405.
func (m *ResourceMetadata) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = io.WriteString(w, `{"error":"invalid_request","error_description":"the metadata is read with GET"}`+"\n")
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(m.doc)
	}
}

// WithResourceMetadata names m in every 401 challenge of the
// Authenticator (resource_metadata="<URL>", RFC 9728 section 5.1), in the
// Bearer and the DPoP challenge alike, so that a client refused for want
// of a token finds which issuer to ask. The default error handler writes
// it; a WithErrorHandler handler that builds its answer with
// NewErrorResponse adds it itself. A nil m panics: a programming error,
// seen at start-up.
func WithResourceMetadata(m *ResourceMetadata) Option {
	if m == nil {
		panic(
			"identsphere: WithResourceMetadata needs the *ResourceMetadata " +
				"of NewResourceMetadata (did it fail with an unchecked error?)",
		)
	}
	param := `resource_metadata="` + safeText(m.url, true) + `"`
	return optionFunc(func(s *settings) { s.resourceMetadata = param })
}

// WithChallengeScope names scopes in every 401 challenge of the
// Authenticator (scope="...", RFC 6750 section 3): the scopes a client
// should ask for when it gets a token, as the MCP authorization spec has
// a server say. A 403 insufficient_scope names the scopes its route needs
// instead. It panics on a scope no token could hold (empty, with a space,
// quote, backslash or control character).
func WithChallengeScope(scopes ...string) Option {
	for _, s := range scopes {
		if s == "" || scopeTokens([]string{s}) != s {
			panic(fmt.Sprintf("identsphere: WithChallengeScope: %q is not a valid scope", s))
		}
	}
	param := ""
	if len(scopes) > 0 {
		param = `scope="` + scopeTokens(scopes) + `"`
	}
	return optionFunc(func(s *settings) { s.challengeScope = param })
}
