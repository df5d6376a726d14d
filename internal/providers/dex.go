package providers

import (
	"strings"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// Dex is a fake Dex, served under a path ("https://{host}/dex", as its
// examples configure it). Dex signs ID tokens (and access tokens of the
// same shape) with RS256 and a header without typ; aud is the client id, a
// string, unless another client asked for a cross-client token, when aud
// lists both clients and azp names the one that asked. Groups from the
// connector are an array in "groups".
type Dex struct {
	*authtest.PathIssuer

	// ClientID is the static client whose ID tokens the API accepts.
	ClientID string
}

// NewDex starts the server. Call Close when done.
func NewDex() *Dex {
	return &Dex{
		PathIssuer: authtest.NewPathIssuer("/dex", authtest.WithKey("dex-kid-1", testkeys.RSA())),
		ClientID:   "orders-web",
	}
}

// IDToken is a user's ID token for ClientID, in groups.
func (d *Dex) IDToken(groups ...string) string {
	return d.idToken(d.URL(), d.ClientID, "", groups)
}

// IDTokenForClient is the same user's ID token for another client: the
// wrong-audience twin.
func (d *Dex) IDTokenForClient(clientID string) string {
	return d.idToken(d.URL(), clientID, "", nil)
}

// CrossClientIDToken is an ID token that another client (azp) obtained
// with ClientID in its audience too. An ID-token recipe refuses it: it was
// issued to the other client.
func (d *Dex) CrossClientIDToken(otherClient string) string {
	return d.idToken(d.URL(), d.ClientID, otherClient, nil)
}

// RootIssuerIDToken is an ID token whose iss lacks the path: another
// issuer, as a Dex configured with another issuer URL would mint. The
// wrong-tenant twin.
func (d *Dex) RootIssuerIDToken() string {
	return d.idToken(strings.TrimSuffix(d.URL(), "/dex"), d.ClientID, "", nil)
}

func (d *Dex) idToken(iss, clientID, crossFrom string, groups []string) string {
	claims := authtest.Claims{
		"iss":                iss,
		"sub":                "CgQxMjM0EgRsZGFw",
		"aud":                clientID,
		"nonce":              "n-0S6_WzA2Mj",
		"at_hash":            "k2vPX1y4b8_6ZQ3b0Vj1yw",
		"email":              "ada@example.com",
		"email_verified":     true,
		"name":               "Ada Lovelace",
		"preferred_username": "ada",
		"federated_claims":   map[string]any{"connector_id": "ldap", "user_id": "1234"},
		"jti":                nil,
	}
	if crossFrom != "" {
		claims["aud"] = []string{clientID, crossFrom}
		claims["azp"] = crossFrom
	}
	if groups != nil {
		claims["groups"] = groups
	}
	return d.MustMint(claims, withoutTyp())
}
