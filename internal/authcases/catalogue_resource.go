package authcases

import (
	"net/http"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
)

// The routes whose challenges name their Protected Resource Metadata (RFC
// 9728), served by each adapter with ResourceRoutes' options.
const (
	// PathResource names ResourceMetadataURL in its 401 challenges and
	// needs StepUpRoute, so that a step-up challenge carries both.
	PathResource = "/api/resource"
	// PathResourceDPoP names it too, and takes DPoP-bound tokens only.
	PathResourceDPoP = "/api/resource-dpop"
	// ResourceURL is the resource the metadata describes: the API's URL,
	// the origin DPoPPublicURL names.
	ResourceURL = "https://orders.example"
	// ResourceMetadataURL is where its metadata is served.
	ResourceMetadataURL = ResourceURL + core.ResourceMetadataPath
	// ResourceIssuer is the authorization server its metadata names (the
	// challenges do not depend on it).
	ResourceIssuer = "https://id.orders.example"
)

// ResourceMetadata is the metadata of ResourceURL.
func ResourceMetadata() *core.ResourceMetadata {
	m, err := core.NewResourceMetadata(
		core.ProtectedResource{
			Resource:             ResourceURL,
			AuthorizationServers: []string{ResourceIssuer},
			ScopesSupported:      []string{"admin"},
			DPoP:                 core.DPoPAllowed,
		},
	)
	if err != nil {
		panic(err)
	}
	return m
}

// ResourceRoutes are the routes served with the metadata of ResourceURL
// named in their challenges.
func ResourceRoutes() []Route {
	metadata := func() core.Option { return core.WithResourceMetadata(ResourceMetadata()) }
	return []Route{
		{PathResource, []string{http.MethodGet}, func() []core.Option {
			return []core.Option{metadata(), core.WithRules(core.RequireStepUp(StepUpRoute()))}
		}},
		{PathResourceDPoP, []string{http.MethodGet}, func() []core.Option {
			d, err := core.NewDPoP(
				core.DPoPConfig{
					Mode:      core.DPoPRequired,
					PublicURL: DPoPPublicURL,
					Replay:    core.NewMemoryReplayCache(4096, nil),
				},
			)
			if err != nil { // a fixed configuration: a bug here, not an input
				panic(err)
			}
			return []core.Option{metadata(), core.WithDPoP(d)}
		}},
	}
}

// resourceCases are the challenges of routes that name their metadata:
// every 401 carries resource_metadata, whatever its cause; other answers
// do not.
func resourceCases(e *Env) []Case {
	rm := `resource_metadata="` + ResourceMetadataURL + `"`
	steppedUp := e.Issuer.MustMint(authtest.Claims{"acr": "mfa", "auth_time": time.Now()})
	return []Case{
		ok("resource: stepped-up token", Case{Path: PathResource, Auth: bearer(steppedUp)}),
		{Name: "resource: no token", Path: PathResource, Status: 401, Challenge: ChallengeMissing + ", " + rm},
		{
			Name:      "resource: invalid token",
			Path:      PathResource,
			Auth:      bearer("x.y.z"),
			Status:    401,
			Challenge: ChallengeToken + ", " + rm,
			Code:      "invalid_token",
		},
		{
			Name:      "resource: expired token",
			Path:      PathResource,
			Auth:      bearer(e.Issuer.MustMint(authtest.Claims{"exp": time.Now().Add(-time.Hour)})),
			Status:    401,
			Challenge: ChallengeToken + ", " + rm,
			Code:      "invalid_token",
		},
		{
			Name:      "resource: step-up needed",
			Path:      PathResource,
			Auth:      bearer(e.Issuer.MustMint(nil)),
			Status:    401,
			Challenge: ChallengeStepUp + ", " + rm,
			Code:      "insufficient_user_authentication",
			Why: "RFC 9728 section 5.1: the metadata is named in every " +
				"401, so that a client can learn where to step up",
		},
		{
			Name:      "resource: malformed request",
			Path:      PathResource,
			Auth:      []string{"Basic dXNlcjpwYXNz"},
			Status:    400,
			Challenge: ChallengeRequest,
			Code:      "invalid_request",
			Why:       "a 400 is no authentication challenge: the metadata is named in 401s only",
		},
		{Name: "resource, DPoP required: no token", Path: PathResourceDPoP, Status: 401,
			Challenge: `DPoP realm="identsphere", ` + rm + `, algs="ES256 ES384 ES512 EdDSA RS256 PS256"`},
		{Name: "resource, DPoP required: bearer token", Path: PathResourceDPoP, Auth: bearer(steppedUp), Status: 401,
			Challenge: `DPoP error="invalid_token", ` + rm + `, algs="ES256 ES384 ES512 EdDSA RS256 PS256"`,
			Code:      "invalid_token"},
	}
}
