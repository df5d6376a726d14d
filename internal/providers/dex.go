package providers

import (
	"strings"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// Dex is a fake Dex, served under a path ("https://{host}/dex", as its
// examples configure it). Dex signs ID tokens, and access tokens of the
// same shape (at_hash included), with RS256 and a header without typ: a
// service takes them under core.IDTokens, and the default profile refuses
// both as ID tokens. aud is the client id, a string, unless a client asked
// for a cross-client token (scope audience:server:client_id:{peer}), when
// aud lists the peer and the client that asked, and azp names the one that
// asked: the peer takes it with that client in
// core.Config.AuthorizedParties. Groups from the connector are an array in
// "groups".
type Dex struct {
	*authtest.PathIssuer

	// ClientID is the static client that users log in to.
	ClientID string
	// API is a static client for the API, whose trustedPeers lists
	// ClientID: ClientID obtains cross-client tokens for it.
	API string
}

// NewDex starts the server. Call Close when done.
func NewDex() *Dex {
	return &Dex{
		PathIssuer: authtest.NewPathIssuer("/dex", authtest.WithKey("dex-kid-1", testkeys.RSA())),
		ClientID:   "orders-web",
		API:        "orders-api",
	}
}

// IDToken is a user's ID token for ClientID, in groups.
func (d *Dex) IDToken(groups ...string) string {
	return d.idToken(d.URL(), d.ClientID, "", groups)
}

// AccessToken is the access token Dex issues beside IDToken: the same
// claims, at_hash among them.
func (d *Dex) AccessToken() string {
	return d.idToken(d.URL(), d.ClientID, "", nil)
}

// CrossClientToken is the token ClientID obtains for API: aud [API
// ClientID], azp ClientID.
func (d *Dex) CrossClientToken(groups ...string) string {
	return d.idToken(d.URL(), d.API, d.ClientID, groups)
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
