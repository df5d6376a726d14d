package providers

import (
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// Zitadel is a fake Zitadel instance, whose issuer is the instance's URL
// without a path ("https://{instance}.zitadel.cloud"). Its ID tokens are
// audienced to the application's client id and to the project id, with
// azp the client id. Project roles, when asserted, are under
// "urn:zitadel:iam:org:project:roles" (and
// "urn:zitadel:iam:org:project:{projectId}:roles"): an object whose keys
// are the roles, each mapping organization ids to their domains. A
// service takes them under core.IDTokens: with Audience the client id, or
// with Audience the project id (an API of the project) and the
// applications it serves in core.Config.AuthorizedParties.
type Zitadel struct {
	*authtest.Issuer

	// ClientID is the application's client id.
	ClientID string
	// ProjectID is the id of the application's project.
	ProjectID string
}

// NewZitadel starts the instance. Call Close when done.
func NewZitadel() *Zitadel {
	return &Zitadel{
		Issuer:    authtest.NewIssuer(authtest.WithKey("284390185532014853", testkeys.RSA())),
		ClientID:  "284390263130521349@orders",
		ProjectID: "284390134424707333",
	}
}

// RolesClaim is where Zitadel asserts the roles of the project.
const RolesClaim = "urn:zitadel:iam:org:project:roles"

// IDToken is a user's ID token for ClientID, with project roles.
func (z *Zitadel) IDToken(roles ...string) string {
	return z.idToken([]string{z.ClientID, z.ProjectID}, z.ClientID, roles)
}

// IDTokenForClient is the same user's ID token for another application of
// the project: the wrong-audience twin.
func (z *Zitadel) IDTokenForClient(clientID string) string {
	return z.idToken([]string{clientID, z.ProjectID}, clientID, nil)
}

// IDTokenIssuedTo is an ID token audienced to ClientID too but issued to
// another application (azp): an ID-token recipe refuses it.
func (z *Zitadel) IDTokenIssuedTo(clientID string) string {
	return z.idToken([]string{clientID, z.ClientID, z.ProjectID}, clientID, nil)
}

func (z *Zitadel) idToken(aud []string, azp string, roles []string) string {
	claims := authtest.Claims{
		"aud":                                   aud,
		"azp":                                   azp,
		"sub":                                   "284390185532080389",
		"amr":                                   []string{"pwd"},
		"at_hash":                               "k2vPX1y4b8_6ZQ3b0Vj1yw",
		"auth_time":                             time.Now(),
		"sid":                                   "V1_284390263130588933",
		"email":                                 "ada@example.com",
		"email_verified":                        true,
		"preferred_username":                    "ada@acme.zitadel.cloud",
		"urn:zitadel:iam:user:resourceowner:id": "284390134424576261",
		"jti":                                   nil,
	}
	if roles != nil {
		grants := map[string]any{}
		for _, role := range roles {
			grants[role] = map[string]string{"284390134424576261": "acme.zitadel.cloud"}
		}
		claims[RolesClaim] = grants
		claims["urn:zitadel:iam:org:project:"+z.ProjectID+":roles"] = grants
	}
	return z.MustMint(claims)
}
