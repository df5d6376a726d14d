package providers

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"strings"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// Entra is a fake Microsoft Entra ID tenant (formerly Azure AD). Its v2.0
// issuer has a path, "https://login.microsoftonline.com/{tenant}/v2.0";
// its v1.0 issuer is "https://sts.windows.net/{tenant}/", trailing slash
// included, on another host than its keys. An API's access tokens follow
// its manifest's accessTokenAcceptedVersion: v1.0 tokens are audienced to
// the Application ID URI ("api://..."), v2.0 tokens to the application
// (client) id. Delegated permissions are in "scp", one space-separated
// string; application permissions (app-only tokens) are in "roles", an
// array. Tokens have no jti (uti instead). The header carries typ "JWT",
// kid and x5t. The signing keys are shared by every tenant, and each JWK
// carries members of its own beside the key: "x5c" (the self-signed
// certificate), "x5t" and, on the v2.0 endpoint, "issuer" (a template,
// "https://login.microsoftonline.com/{tenantid}/v2.0") and
// "cloud_instance_name". Tokens for Microsoft Graph carry a nonce in their
// header.
type Entra struct {
	*authtest.PathIssuer // the v2.0 issuer

	// TenantID is the directory (tenant) id.
	TenantID string
	// APIAppID is the API's application (client) id: the aud of v2.0 tokens.
	APIAppID string
	// APIAppIDURI is the API's Application ID URI: the aud of v1.0 tokens.
	APIAppIDURI string
	// ClientAppID is the single-page application that calls the API.
	ClientAppID string
	// DaemonAppID is a daemon application, granted application permissions.
	DaemonAppID string

	kids [2]string // the x5t thumbprints of the two published keys
	jwks []byte
}

// Identifiers of the fixture's directory objects.
const (
	entraTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	// EntraOtherTenant is the id of another tenant, whose tokens the
	// fixture mints with the same keys.
	EntraOtherTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"
	entraUserOID     = "b7e8c4a2-5f3d-4e1b-9a6c-0d2e8f4b1c37"
	entraDaemonOID   = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
)

// NewEntra starts the tenant, publishing two keys with their certificates.
// Call Close when done.
func NewEntra() *Entra {
	e := &Entra{
		TenantID:    entraTenant,
		APIAppID:    "6e74172b-be56-4843-9ff4-e66a39bb12e3",
		APIAppIDURI: "api://orders-api",
		ClientAppID: "b3a1c9e4-2d7f-4a8b-9c6e-5f0d1e2a3b4c",
		DaemonAppID: "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b",
	}
	keys := []*rsa.PrivateKey{testkeys.RSA(), testkeys.RSA2()}
	set := struct {
		Keys []entraJWK `json:"keys"`
	}{}
	for n, key := range keys {
		der := selfSignedCertificate(key)
		sum := sha1.Sum(der)
		e.kids[n] = base64.RawURLEncoding.EncodeToString(sum[:])
		set.Keys = append(set.Keys, entraJWK{
			Kty:               "RSA",
			Use:               "sig",
			Kid:               e.kids[n],
			X5t:               e.kids[n],
			N:                 base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			E:                 "AQAB",
			X5c:               []string{base64.StdEncoding.EncodeToString(der)},
			CloudInstanceName: "microsoftonline.com",
			Issuer:            "https://login.microsoftonline.com/{tenantid}/v2.0",
		})
	}
	jwks, err := json.Marshal(set)
	if err != nil {
		panic(fmt.Sprintf("providers: encoding the Entra key set: %v", err))
	}
	e.jwks = jwks
	e.PathIssuer = authtest.NewPathIssuer("/"+e.TenantID+"/v2.0",
		authtest.WithKey(e.kids[0], keys[0]), authtest.WithKey(e.kids[1], keys[1]))
	e.SetJWKS(jwks)
	return e
}

// entraJWK is a key as Entra's keys endpoint publishes it: no alg, and
// members of its own.
type entraJWK struct {
	Kty               string   `json:"kty"`
	Use               string   `json:"use"`
	Kid               string   `json:"kid"`
	X5t               string   `json:"x5t"`
	N                 string   `json:"n"`
	E                 string   `json:"e"`
	X5c               []string `json:"x5c"`
	CloudInstanceName string   `json:"cloud_instance_name"`
	Issuer            string   `json:"issuer"`
}

// selfSignedCertificate returns the DER of a self-signed certificate for
// key, the same bytes on every call: a fixed serial and validity, and an
// RSA PKCS #1 v1.5 signature, which is deterministic.
func selfSignedCertificate(key *rsa.PrivateKey) []byte {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "accounts.accesscontrol.windows.net"},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2125, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(fmt.Sprintf("providers: creating the Entra key's certificate: %v", err))
	}
	return der
}

// JWKS returns the key set as the tenant serves it.
func (e *Entra) JWKS() []byte { return append([]byte(nil), e.jwks...) }

// KIDs returns the kids of the two published keys (their x5t).
func (e *Entra) KIDs() [2]string { return e.kids }

// V1Issuer is the v1.0 issuer, the analogue of
// "https://sts.windows.net/{tenant}/": the tenant id between slashes. The
// fixture serves nothing there, as a v1.0 recipe reads its keys from
// JWKSURL.
func (e *Entra) V1Issuer() string {
	return strings.TrimSuffix(e.URL(), e.TenantID+"/v2.0") + e.TenantID + "/"
}

// header is the header Entra's tokens carry: typ JWT, kid and x5t.
func (e *Entra) header(n int) []authtest.MintOption {
	return []authtest.MintOption{authtest.SignWith(e.kids[n]), authtest.WithHeader("x5t", e.kids[n])}
}

// V2AccessToken is a v2.0 delegated access token for the API: a user
// signed in to ClientAppID, with scp a space-separated string.
func (e *Entra) V2AccessToken(scp string) string {
	return e.v2AccessToken(e.URL(), e.TenantID, e.APIAppID, scp, 0)
}

// V2AccessTokenSignedWithSecondKey is V2AccessToken signed with the other
// published key.
func (e *Entra) V2AccessTokenSignedWithSecondKey(scp string) string {
	return e.v2AccessToken(e.URL(), e.TenantID, e.APIAppID, scp, 1)
}

// V2AccessTokenForAPI is a v2.0 access token for another API: the
// wrong-audience twin.
func (e *Entra) V2AccessTokenForAPI(appID string) string {
	return e.v2AccessToken(e.URL(), e.TenantID, appID, "Orders.Read", 0)
}

// OtherTenantAccessToken is a v2.0 access token for the same API from
// EntraOtherTenant: signed with the same keys (Entra's keys are common to
// all tenants), so that only iss and tid tell it apart. The wrong-tenant
// twin.
func (e *Entra) OtherTenantAccessToken() string {
	return e.TenantAccessToken(EntraOtherTenant, EntraOtherTenant)
}

// V2IssuerOf is the v2.0 issuer of tenant, the analogue of
// "https://login.microsoftonline.com/{tenant}/v2.0" on the fixture's
// origin; V2IssuerOf("{tenant}") is the multi-tenant template. Only the
// fixture's own tenant is served there.
func (e *Entra) V2IssuerOf(tenant string) string {
	return strings.TrimSuffix(e.URL(), e.TenantID+"/v2.0") + tenant + "/v2.0"
}

// TenantAccessToken is a v2.0 access token for the API whose iss names
// issTenant and whose tid claim is tid: equal for a real token of that
// tenant, different for a token that poses as another tenant's.
func (e *Entra) TenantAccessToken(issTenant, tid string) string {
	return e.v2AccessToken(e.V2IssuerOf(issTenant), tid, e.APIAppID, "Orders.Read", 0)
}

// V2AccessTokenWithAuthContext is V2AccessToken from a login that met the
// Conditional Access authentication contexts acrs (such as "c1"), as Entra
// marks it for a client that declared the cp1 capability.
func (e *Entra) V2AccessTokenWithAuthContext(scp string, acrs ...string) string {
	return e.v2AccessToken(e.URL(), e.TenantID, e.APIAppID, scp, 0, authtest.Claims{"acrs": acrs})
}

func (e *Entra) v2AccessToken(iss, tid, aud, scp string, key int, extra ...authtest.Claims) string {
	now := time.Now()
	claims := authtest.Claims{
		"iss":                iss,
		"aud":                aud,
		"nbf":                now,
		"aio":                "AXQAi/8TAAAA2Z8hBBSqRhJ8bF0Q",
		"azp":                e.ClientAppID,
		"azpacr":             "0",
		"name":               "Ada Lovelace",
		"oid":                entraUserOID,
		"preferred_username": "ada@contoso.com",
		"rh":                 "0.ARoAv4j5cvGGr0GRqy180BHbR0ZVxsL8nW1Oh",
		"scp":                scp,
		"sub":                "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
		"tid":                tid,
		"uti":                "fqiBqXLPj0eQa82S-IYFAA",
		"ver":                "2.0",
		"jti":                nil,
	}
	for _, x := range extra {
		maps.Copy(claims, x)
	}
	return e.MustMint(claims, e.header(key)...)
}

// AppOnlyToken is a v2.0 access token of DaemonAppID (client credentials)
// with application permissions in roles and no scp.
func (e *Entra) AppOnlyToken(roles ...string) string {
	return e.MustMint(authtest.Claims{
		"aud":    e.APIAppID,
		"nbf":    time.Now(),
		"azp":    e.DaemonAppID,
		"azpacr": "1",
		"idtyp":  "app",
		"oid":    entraDaemonOID,
		"roles":  roles,
		"sub":    entraDaemonOID,
		"tid":    e.TenantID,
		"uti":    "Kd4mVbZ5r0i7nQk1Xw3DAA",
		"ver":    "2.0",
		"jti":    nil,
	}, e.header(0)...)
}

// V1AccessToken is a v1.0 delegated access token for the API: iss the
// v1.0 issuer, aud the Application ID URI, the client in appid.
func (e *Entra) V1AccessToken(scp string) string {
	now := time.Now()
	return e.MustMint(authtest.Claims{
		"iss":         e.V1Issuer(),
		"aud":         e.APIAppIDURI,
		"nbf":         now,
		"acr":         "1",
		"aio":         "E2ZgYJjP9X5y0i3hNvD3AA==",
		"amr":         []string{"pwd"},
		"appid":       e.ClientAppID,
		"appidacr":    "0",
		"family_name": "Lovelace",
		"given_name":  "Ada",
		"ipaddr":      "203.0.113.7",
		"name":        "Ada Lovelace",
		"oid":         entraUserOID,
		"scp":         scp,
		"sub":         "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA",
		"tid":         e.TenantID,
		"unique_name": "ada@contoso.com",
		"upn":         "ada@contoso.com",
		"uti":         "fqiBqXLPj0eQa82S-IYFAA",
		"ver":         "1.0",
		"jti":         nil,
	}, e.header(0)...)
}

// IDToken is the v2.0 ID token of ClientAppID for the same user: the
// wrong-token-type twin.
func (e *Entra) IDToken() string {
	return e.MustMint(authtest.Claims{
		"aud":                e.ClientAppID,
		"nbf":                time.Now(),
		"nonce":              "n-0S6_WzA2Mj",
		"name":               "Ada Lovelace",
		"oid":                entraUserOID,
		"preferred_username": "ada@contoso.com",
		"rh":                 "0.ARoAv4j5cvGGr0GRqy180BHbR0ZVxsL8nW1Oh",
		"sub":                "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
		"tid":                e.TenantID,
		"uti":                "fqiBqXLPj0eQa82S-IYFAA",
		"ver":                "2.0",
		"jti":                nil,
	}, e.header(0)...)
}

// GraphToken is an access token for Microsoft Graph that a client sent to
// the API: a v1.0 token whose header carries a nonce (Graph checks a hash
// of it, so no one else can verify the token), audienced to Graph.
func (e *Entra) GraphToken() string {
	return e.MustMint(authtest.Claims{
		"iss":         e.V1Issuer(),
		"aud":         "00000003-0000-0000-c000-000000000000",
		"nbf":         time.Now(),
		"appid":       e.ClientAppID,
		"oid":         entraUserOID,
		"scp":         "openid profile email User.Read",
		"sub":         "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA",
		"tid":         e.TenantID,
		"unique_name": "ada@contoso.com",
		"ver":         "1.0",
		"jti":         nil,
	}, append(e.header(0), authtest.WithHeader("nonce", "Qm7kX3f9vP2sT8yL1cR6wZ4nB0hJ5dA"))...)
}
