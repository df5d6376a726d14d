package providers

import (
	"strings"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// Auth0 is a fake Auth0 tenant. Its issuer is the tenant's domain with a
// trailing slash ("https://{tenant}.auth0.com/"). An access token for a
// custom API, requested with the openid scope, is audienced to the API
// identifier and to the tenant's /userinfo URL (an array); with RBAC and
// "Add Permissions in the Access Token" on it carries the API permissions
// in "permissions"; an Action adds custom claims under a namespace (a URL).
// Its header is {"alg":"RS256","typ":"JWT","kid":...}. An ID token is
// audienced to the client id alone.
type Auth0 struct {
	*authtest.PathIssuer

	// API is the API identifier, the audience of the access tokens.
	API string
	// ClientID is the application's client id, the audience of its ID tokens.
	ClientID string
	// Namespace prefixes the custom claims an Action adds.
	Namespace string
}

// NewAuth0 starts the tenant. Call Close when done.
func NewAuth0() *Auth0 {
	return &Auth0{
		PathIssuer: authtest.NewPathIssuer("/", authtest.WithKey("auth0-kid-1", testkeys.RSA())),
		API:        "https://orders.example.com/api",
		ClientID:   "kB7qZ0wN3sY5cE9uT1xR4vL6pD8mA2hJ",
		Namespace:  "https://orders.example.com/",
	}
}

// UserinfoURL is the second audience of access tokens requested with the
// openid scope.
func (a *Auth0) UserinfoURL() string { return a.URL() + "userinfo" }

// AccessToken is a user's access token for the API, with RBAC permissions
// and namespaced roles.
func (a *Auth0) AccessToken(permissions []string, roles ...string) string {
	return a.accessToken(a.API, a.URL(), permissions, roles)
}

// AccessTokenForAPI is the same user's access token for another API of the
// tenant: the wrong-audience twin.
func (a *Auth0) AccessTokenForAPI(api string) string {
	return a.accessToken(api, a.URL(), []string{"read:orders"}, nil)
}

// OtherTenantAccessToken is an access token for the same API identifier
// from another tenant (signed, in this fixture, with the same key, so that
// only the issuer tells them apart): the wrong-tenant twin.
func (a *Auth0) OtherTenantAccessToken() string {
	return a.accessToken(a.API, "https://other-tenant.eu.auth0.com/", []string{"read:orders"}, nil)
}

func (a *Auth0) accessToken(api, iss string, permissions, roles []string) string {
	claims := authtest.Claims{
		"iss":         iss,
		"sub":         "auth0|65f1c0ffee0123456789abcd",
		"aud":         []string{api, iss + "userinfo"},
		"azp":         a.ClientID,
		"scope":       strings.Join(append([]string{"openid", "profile", "email"}, permissions...), " "),
		"permissions": permissions,
		"jti":         nil, // the default (Auth0) profile has no jti
	}
	if roles != nil {
		claims[a.Namespace+"roles"] = roles
	}
	return a.MustMint(claims)
}

// IDToken is the application's ID token for the same user: the
// wrong-token-type twin (aud is the client id, as a string).
func (a *Auth0) IDToken() string {
	return a.MustMint(authtest.Claims{
		"sub":            "auth0|65f1c0ffee0123456789abcd",
		"aud":            a.ClientID,
		"nonce":          "n-0S6_WzA2Mj",
		"sid":            "Hb4ZcA0qF1sRt",
		"email":          "ada@example.com",
		"email_verified": true,
		"auth_time":      time.Now(),
		"jti":            nil,
	})
}
