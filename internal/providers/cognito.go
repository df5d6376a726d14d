package providers

import (
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// Cognito is a fake AWS Cognito user pool. Its issuer has the pool id as
// its path: "https://cognito-idp.{region}.amazonaws.com/{userPoolId}".
// Neither kind of token has a typ header ({"kid":...,"alg":"RS256"}), so
// the kind is in the "token_use" claim: an access token ("access") has no
// aud at all, the app client id is in "client_id", scopes are in "scope"
// and groups in "cognito:groups"; an ID token ("id") is audienced to the
// app client id and carries "cognito:username" and the user's attributes.
type Cognito struct {
	*authtest.PathIssuer

	// ClientID is the app client id.
	ClientID string
}

// NewCognito starts the user pool. Call Close when done.
func NewCognito() *Cognito {
	return &Cognito{
		PathIssuer: authtest.NewPathIssuer("/us-east-1_Ab12Cd34E", authtest.WithKey("cognito-kid-1", testkeys.RSA())),
		ClientID:   "1example23456789abcdefghij",
	}
}

// AccessToken is a user's access token, in groups.
func (c *Cognito) AccessToken(groups ...string) string {
	return c.accessToken(c.URL(), c.ClientID, groups)
}

// AccessTokenForClient is an access token of another app client of the
// same pool: the wrong-audience twin.
func (c *Cognito) AccessTokenForClient(clientID string) string {
	return c.accessToken(c.URL(), clientID, nil)
}

// OtherPoolAccessToken is an access token of another user pool with the
// same app client id (signed, in this fixture, with the same key): the
// wrong-tenant twin.
func (c *Cognito) OtherPoolAccessToken() string {
	return c.accessToken("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Zz98Yx76W", c.ClientID, nil)
}

func (c *Cognito) accessToken(iss, clientID string, groups []string) string {
	claims := authtest.Claims{
		"iss":        iss,
		"aud":        nil, // Cognito access tokens have none
		"sub":        "aaaaaaaa-bbbb-cccc-dddd-example",
		"version":    2,
		"client_id":  clientID,
		"origin_jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
		"event_id":   "cc9a2ee0-5a27-4e1c-8b5d-example",
		"token_use":  "access",
		"scope":      "openid email orders/read",
		"auth_time":  time.Now(),
		"username":   "ada",
	}
	if groups != nil {
		claims["cognito:groups"] = groups
	}
	return c.MustMint(claims, withoutTyp())
}

// IDToken is a user's ID token: the wrong-token-type twin of AccessToken,
// and what an ID-token recipe accepts.
func (c *Cognito) IDToken(groups ...string) string {
	claims := authtest.Claims{
		"aud":              c.ClientID,
		"sub":              "aaaaaaaa-bbbb-cccc-dddd-example",
		"email_verified":   true,
		"cognito:username": "ada",
		"origin_jti":       "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
		"event_id":         "cc9a2ee0-5a27-4e1c-8b5d-example",
		"token_use":        "id",
		"auth_time":        time.Now(),
		"email":            "ada@example.com",
	}
	if groups != nil {
		claims["cognito:groups"] = groups
	}
	return c.MustMint(claims, withoutTyp())
}
