package providers

import (
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// Hydra is a fake ORY Hydra with the JWT access-token strategy. Its issuer
// is its public URL with a trailing slash ("https://{host}/"). Access tokens
// are signed with the keys of the hydra.jwt.access-token set, here ES256,
// and ID tokens with those of hydra.openid.id-token, RS256; both sets are
// published in one JWKS, and discovery advertises only the ID-token
// algorithm. An access token's aud is an empty array unless the client
// requested an audience; scopes are an array in "scp"; the client is in
// "client_id"; the session's custom claims, email_verified among them, are
// under "ext" (at the top level only for claims listed in
// oauth2.allowed_top_level_claims). An API takes its access tokens under
// the default profile; a gateway in front of the client takes its ID
// tokens (aud [client id], at_hash) under core.IDTokens.
type Hydra struct {
	*authtest.PathIssuer

	// API is the audience clients request for the API.
	API string
	// ClientID is the OAuth client.
	ClientID string
}

// Key ids of the two key sets.
const (
	hydraAccessTokenKID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301" // in the hydra.jwt.access-token set
	hydraIDTokenKID     = "7c9e6679-7425-40de-944b-e07fc1f90ae7" // in the hydra.openid.id-token set
)

// NewHydra starts the server. Call Close when done.
func NewHydra() *Hydra {
	h := &Hydra{
		PathIssuer: authtest.NewPathIssuer("/",
			authtest.WithKey(hydraAccessTokenKID, testkeys.EC()),
			authtest.WithKey(hydraIDTokenKID, testkeys.RSA())),
		API:      "orders-api",
		ClientID: "orders-web",
	}
	h.AdvertiseAlgorithms("RS256") // id_token_signing_alg_values_supported
	return h
}

// AccessToken is a user's access token, audienced to aud (none: not
// requested), with emailVerified under ext.
func (h *Hydra) AccessToken(aud []string, emailVerified bool) string {
	if aud == nil {
		aud = []string{}
	}
	return h.MustMint(authtest.Claims{
		"aud":       aud,
		"client_id": h.ClientID,
		"ext":       map[string]any{"email_verified": emailVerified, "email": "ada@example.com"},
		"nbf":       time.Now(),
		"scp":       []string{"openid", "offline", "orders.read"},
		"sub":       "2c9b6ff4-8b7a-4e3c-a1d5-6f0e9c8b7a65",
	}, authtest.SignWith(hydraAccessTokenKID))
}

// IDToken is the client's ID token for the same user, signed with the
// ID-token key: the wrong-token-type twin of AccessToken, and what an
// ID-token gateway takes.
func (h *Hydra) IDToken() string {
	return h.MustMint(authtest.Claims{
		"aud":            []string{h.ClientID},
		"sub":            "2c9b6ff4-8b7a-4e3c-a1d5-6f0e9c8b7a65",
		"nonce":          "n-0S6_WzA2Mj",
		"at_hash":        "k2vPX1y4b8_6ZQ3b0Vj1yw",
		"auth_time":      time.Now(),
		"rat":            time.Now(),
		"sid":            "a8098c1a-f86e-11da-bd1a-00112444be1e",
		"email_verified": true,
	}, authtest.SignWith(hydraIDTokenKID))
}
