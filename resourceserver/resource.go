package resourceserver

import (
	"fmt"
	"log/slog"

	"github.com/identsphere/identsphere-go/core"
)

// Protected Resource Metadata (RFC 9728): the API publishes which issuer
// gives its tokens and how they are sent, at
// /.well-known/oauth-protected-resource, and names that document in every
// 401 challenge (resource_metadata), so that a client refused for want of
// a token (an MCP client, say) finds where to get one.

// resourceMetadata builds the metadata of the API at its public URL:
// Config.PublicURL, or in dev mode the address it listens at (listenURL).
// Outside dev mode without it there is none, and the log says so: the
// request's own Host cannot name the resource, since the client chooses
// it. dpop is the DPoP mode in force (DPoPDisabled when dpopOptions
// turned it off).
func resourceMetadata(
	cfg Config,
	listenURL string,
	dpop core.DPoPMode,
	logger *slog.Logger,
) (*core.ResourceMetadata, error) {
	resource := cfg.PublicURL
	if resource == "" && cfg.DevMode {
		resource = listenURL
	}
	if resource == "" {
		logger.Info(
			"no Protected Resource Metadata: IDENTSPHERE_PUBLIC_URL is not set, and the metadata names the URL " +
				"clients reach this service at",
		)
		return nil, nil
	}
	m, err := core.NewResourceMetadata(
		core.ProtectedResource{Resource: resource, AuthorizationServers: []string{cfg.Issuer}, DPoP: dpop},
	)
	if err != nil {
		return nil, fmt.Errorf(
			"IDENTSPHERE_PUBLIC_URL %q cannot be published as the resource (RFC 9728): %w",
			resource,
			err,
		)
	}
	logger.Info("Protected Resource Metadata", "url", m.URL())
	return m, nil
}
