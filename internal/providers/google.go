package providers

import (
	"strings"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// Google is a fake Google identity platform. Google's access tokens are
// opaque ("ya29." followed by random characters); what an API can verify
// locally is the ID token, whose iss is either "https://accounts.google.com"
// or "accounts.google.com" (no scheme), whose aud and azp are the OAuth
// client id, and whose header is {"alg":"RS256","kid":...,"typ":"JWT"}.
type Google struct {
	*authtest.Issuer

	// ClientID is the OAuth client id.
	ClientID string
}

// NewGoogle starts the issuer. Call Close when done.
func NewGoogle() *Google {
	return &Google{
		Issuer:   authtest.NewIssuer(authtest.WithKey("google-kid-1", testkeys.RSA())),
		ClientID: "1234987819200-abc123def456ghi789jkl0mno1pqr2st.apps.googleusercontent.com",
	}
}

// SchemelessIssuer is the issuer as Google also writes it, without its
// scheme: the analogue of "accounts.google.com".
func (g *Google) SchemelessIssuer() string { return strings.TrimPrefix(g.URL(), "http://") }

// IDToken is a user's ID token, with iss as given (URL() or
// SchemelessIssuer()).
func (g *Google) IDToken(iss string, emailVerified bool) string {
	return g.idToken(iss, g.ClientID, g.ClientID, emailVerified)
}

// IDTokenForClient is an ID token of another OAuth client: the
// wrong-audience twin.
func (g *Google) IDTokenForClient(clientID string) string {
	return g.idToken(g.URL(), clientID, clientID, true)
}

// CrossClientIDToken is an ID token that an Android or iOS app obtained
// for its server: aud the server's (web) client id, azp the app's client.
func (g *Google) CrossClientIDToken(appClientID string) string {
	return g.idToken(g.URL(), g.ClientID, appClientID, true)
}

func (g *Google) idToken(iss, aud, azp string, emailVerified bool) string {
	return g.MustMint(authtest.Claims{
		"iss":            iss,
		"azp":            azp,
		"aud":            aud,
		"sub":            "110169484474386276334",
		"email":          "ada@example.com",
		"email_verified": emailVerified,
		"at_hash":        "HK6E_P6Dh8Y93mRNtsDB1Q",
		"name":           "Ada Lovelace",
		"picture":        "https://lh3.googleusercontent.com/a/example",
		"given_name":     "Ada",
		"family_name":    "Lovelace",
	})
}

// AccessToken is a Google access token as Google issues it: opaque, not a
// JWT. The wrong-token-type twin.
func (g *Google) AccessToken() string {
	return "ya29.a0AfB_byC4Xn1e2VqKpJ7mZ0sTlY3uWdHgF8rQoPiE5aLcMvN6bXzS9kRjUh"
}
