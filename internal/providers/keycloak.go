package providers

import (
	"strings"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// Keycloak is a fake Keycloak realm. Its issuer is the realm's URL,
// "https://{host}/realms/{realm}". Every token it signs has a header
// {"alg":"RS256","typ":"JWT","kid":...} and says its kind in a "typ" claim
// of the payload: "Bearer" (access token), "ID", "Refresh" (signed with
// the realm's HMAC key), "Logout". An access token names the client it was
// issued to in "azp"; its aud is "account" (the account console) when the
// user has roles of that client, which users have by default, absent when
// the user has no client roles, and names the API only when an audience
// mapper adds it. Realm roles are in realm_access.roles, client roles in
// resource_access.{client}.roles.
type Keycloak struct {
	*authtest.PathIssuer

	// API is the API's client id, which an audience mapper adds to aud.
	API string
	// ClientID is the front end's client id: azp of its tokens.
	ClientID string
}

// NewKeycloak starts the realm "acme". Call Close when done.
func NewKeycloak() *Keycloak {
	return &Keycloak{
		PathIssuer: authtest.NewPathIssuer("/realms/acme", authtest.WithKey("kc-rsa-1", testkeys.RSA())),
		API:        "orders-api",
		ClientID:   "orders-web",
	}
}

// KeycloakAudience is the aud of a Keycloak access token.
type KeycloakAudience int

const (
	// MapperAudience: an audience mapper adds the API, beside "account".
	MapperAudience KeycloakAudience = iota
	// AccountAudience: no mapper, the user has account roles: aud "account".
	AccountAudience
	// NoAudience: no mapper, no client roles: no aud at all.
	NoAudience
)

// AccessToken is a user's access token for ClientID, with realm roles and
// the API's client roles.
func (k *Keycloak) AccessToken(aud KeycloakAudience, realmRoles, apiRoles []string) string {
	return k.accessToken(k.URL(), aud, k.ClientID, realmRoles, apiRoles)
}

// AccessTokenOfClient is an access token issued to another client of the
// realm, without an audience mapper: the wrong-audience twin of a recipe
// that reads the audience from azp.
func (k *Keycloak) AccessTokenOfClient(clientID string) string {
	return k.accessToken(k.URL(), NoAudience, clientID, nil, nil)
}

// AccessTokenForAPI is an access token whose audience mapper names
// another API: the wrong-audience twin.
func (k *Keycloak) AccessTokenForAPI(api string) string {
	claims := k.accessClaims(k.URL(), MapperAudience, k.ClientID, nil, nil)
	claims["aud"] = []string{api, "account"}
	return k.MustMint(claims)
}

// OtherRealmAccessToken is an access token of another realm of the same
// server (signed, in this fixture, with the same key): the wrong-tenant
// twin.
func (k *Keycloak) OtherRealmAccessToken() string {
	other := strings.TrimSuffix(k.URL(), "/acme") + "/other"
	return k.accessToken(other, MapperAudience, k.ClientID, nil, nil)
}

func (k *Keycloak) accessToken(iss string, aud KeycloakAudience, azp string, realmRoles, apiRoles []string) string {
	return k.MustMint(k.accessClaims(iss, aud, azp, realmRoles, apiRoles))
}

func (k *Keycloak) accessClaims(
	iss string,
	aud KeycloakAudience,
	azp string,
	realmRoles, apiRoles []string,
) authtest.Claims {
	resourceAccess := map[string]any{
		"account": map[string]any{"roles": []string{"manage-account", "manage-account-links", "view-profile"}},
	}
	if apiRoles != nil {
		resourceAccess[k.API] = map[string]any{"roles": apiRoles}
	}
	claims := authtest.Claims{
		"iss":             iss,
		"sub":             "f1e2d3c4-b5a6-4789-8abc-def012345678",
		"typ":             "Bearer",
		"azp":             azp,
		"sid":             "5c1b8f0e-3d2a-4b6c-9e7f-a0b1c2d3e4f5",
		"acr":             "1",
		"auth_time":       time.Now(),
		"allowed-origins": []string{"https://orders.example.com"},
		"realm_access": map[string]any{
			"roles": append([]string{"default-roles-acme", "offline_access", "uma_authorization"}, realmRoles...),
		},
		"resource_access":    resourceAccess,
		"scope":              "openid profile email",
		"email_verified":     true,
		"name":               "Ada Lovelace",
		"preferred_username": "ada",
		"email":              "ada@example.com",
	}
	switch aud {
	case MapperAudience:
		claims["aud"] = []string{k.API, "account"}
	case AccountAudience:
		claims["aud"] = "account"
	case NoAudience:
		claims["aud"] = nil
		delete(resourceAccess, "account")
	}
	return claims
}

// IDToken is ClientID's ID token for the same user, typ "ID" in the
// payload: the wrong-token-type twin.
func (k *Keycloak) IDToken() string {
	return k.MustMint(authtest.Claims{
		"sub":                "f1e2d3c4-b5a6-4789-8abc-def012345678",
		"aud":                k.ClientID,
		"typ":                "ID",
		"azp":                k.ClientID,
		"nonce":              "n-0S6_WzA2Mj",
		"sid":                "5c1b8f0e-3d2a-4b6c-9e7f-a0b1c2d3e4f5",
		"at_hash":            "k2vPX1y4b8_6ZQ3b0Vj1yw",
		"acr":                "1",
		"auth_time":          time.Now(),
		"email_verified":     true,
		"preferred_username": "ada",
		"email":              "ada@example.com",
	})
}

// RefreshToken is a refresh token as Keycloak signs it: HS512 with the
// realm's secret, typ "Refresh", aud the realm. Another wrong-token-type
// twin.
func (k *Keycloak) RefreshToken() string {
	return k.MustMint(authtest.Claims{
		"sub":   "f1e2d3c4-b5a6-4789-8abc-def012345678",
		"aud":   k.URL(),
		"typ":   "Refresh",
		"azp":   k.ClientID,
		"sid":   "5c1b8f0e-3d2a-4b6c-9e7f-a0b1c2d3e4f5",
		"scope": "openid profile email",
	},
		authtest.SignWithSecret([]byte("keycloak-realm-hmac-secret-of-64-bytes-0123456789abcdef01234567"), "kc-hmac-1"),
		authtest.WithAlg("HS512"),
	)
}
