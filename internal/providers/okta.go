package providers

import (
	"strings"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// Okta is a fake Okta org with its "default" custom authorization server,
// whose issuer has a path: "https://{yourOktaDomain}/oauth2/default". Its
// access tokens carry "ver": 1, a "jti" starting "AT.", "aud"
// "api://default" (a string), the client id in "cid", the user id in
// "uid", the user's login in "sub", and the scopes as an array in "scp";
// a groups claim, when the authorization server has one, is an array.
// Their header is {"kid":...,"alg":"RS256"}, without typ. ID tokens are
// audienced to the client id. The org authorization server (issuer
// "https://{yourOktaDomain}", no path) mints tokens for Okta's own APIs,
// typed "application/okta-internal-at+jwt".
type Okta struct {
	*authtest.PathIssuer

	// Audience is the authorization server's audience.
	Audience string
	// ClientID is the application's client id (cid).
	ClientID string
}

// NewOkta starts the org. Call Close when done.
func NewOkta() *Okta {
	return &Okta{
		PathIssuer: authtest.NewPathIssuer("/oauth2/default", authtest.WithKey("okta-kid-1", testkeys.RSA())),
		Audience:   "api://default",
		ClientID:   "0oa1b2c3d4e5f6g7h8i9",
	}
}

// Origin is the org's URL: the org authorization server's issuer.
func (o *Okta) Origin() string { return strings.TrimSuffix(o.URL(), "/oauth2/default") }

// AccessToken is a user's access token with scopes and groups.
func (o *Okta) AccessToken(scopes []string, groups ...string) string {
	return o.accessToken(o.URL(), o.Audience, scopes, groups)
}

// AccessTokenForAudience is an access token of another authorization
// server audience: the wrong-audience twin.
func (o *Okta) AccessTokenForAudience(aud string) string {
	return o.accessToken(o.URL(), aud, []string{"orders:read"}, nil)
}

// OtherOrgAccessToken is an access token of the "default" authorization
// server of another Okta org (signed, in this fixture, with the same key):
// the wrong-tenant twin.
func (o *Okta) OtherOrgAccessToken() string {
	return o.accessToken("https://other-org.okta.com/oauth2/default", o.Audience, []string{"orders:read"}, nil)
}

func (o *Okta) accessToken(iss, aud string, scopes, groups []string) string {
	claims := authtest.Claims{
		"ver":       1,
		"jti":       "AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE",
		"iss":       iss,
		"aud":       aud,
		"sub":       "ada@example.com",
		"cid":       o.ClientID,
		"uid":       "00uid4BxXw6I6TV4m0g3",
		"scp":       scopes,
		"auth_time": time.Now(),
	}
	if groups != nil {
		claims["groups"] = groups
	}
	return o.MustMint(claims, withoutTyp())
}

// IDToken is the application's ID token: the wrong-token-type twin.
func (o *Okta) IDToken() string {
	return o.MustMint(authtest.Claims{
		"ver":                1,
		"jti":                "ID.4eAWJOCMB3SX8XewDfVR",
		"sub":                "00uid4BxXw6I6TV4m0g3",
		"aud":                o.ClientID,
		"amr":                []string{"pwd"},
		"idp":                "00ok1u7AsAkrwdZL3z0g3",
		"nonce":              "n-0S6_WzA2Mj",
		"preferred_username": "ada@example.com",
		"auth_time":          time.Now(),
	}, withoutTyp())
}

// OrgAccessToken is an access token of the org authorization server, for
// Okta's own APIs: issuer without a path, audience the org, typ
// "application/okta-internal-at+jwt". Another wrong-token-type twin.
func (o *Okta) OrgAccessToken() string {
	return o.MustMint(authtest.Claims{
		"ver": 1,
		"jti": "AT.Xk3lZb0ebSbHnAY2NEtgjTLkyuL7kADjq",
		"iss": o.Origin(),
		"aud": o.Origin(),
		"sub": "ada@example.com",
		"cid": o.ClientID,
		"uid": "00uid4BxXw6I6TV4m0g3",
		"scp": []string{"okta.users.read.self"},
	}, authtest.WithHeader("typ", "application/okta-internal-at+jwt"))
}
