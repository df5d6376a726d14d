package providers_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/providers"
)

// The recipes of README.md's Providers section, with the placeholders the
// README shows as parameters. The provider tests call them with the
// fixtures' values; TestREADMEShowsTheRecipes checks that the README shows
// each one, field for field and value for value.

func auth0Recipe(tenantURL, apiIdentifier string) core.Config {
	return core.Config{
		Issuer:   tenantURL,
		Audience: []string{apiIdentifier},
	}
}

func oktaRecipe(authServerURL, audience string) core.Config {
	return core.Config{
		Issuer:   authServerURL,
		Audience: []string{audience},
	}
}

func entraV2Recipe(issuer, apiAppID string) core.Config {
	return core.Config{
		Issuer:   issuer,
		Audience: []string{apiAppID},
	}
}

func entraV1Recipe(issuer, keysURL, appIDURI string) core.Config {
	return core.Config{
		Issuer:   issuer,
		JWKSURL:  keysURL,
		Audience: []string{appIDURI},
	}
}

func cognitoAccessRecipe(poolURL, appClientID string) core.Config {
	return core.Config{
		Issuer:           poolURL,
		Audience:         []string{appClientID},
		AudienceFallback: "client_id",
		RequiredClaims:   map[string]string{"token_use": "access"},
	}
}

func cognitoIDRecipe(poolURL, appClientID string) core.Config {
	return core.Config{
		Issuer:         poolURL,
		Audience:       []string{appClientID},
		Profile:        core.IDTokens,
		RequiredClaims: map[string]string{"token_use": "id"},
	}
}

func googleRecipe(issuer, alias, clientID string) core.Config {
	return core.Config{
		Issuer:               issuer,
		IssuerAliases:        []string{alias},
		Audience:             []string{clientID},
		Profile:              core.IDTokens,
		RequireVerifiedEmail: true,
	}
}

func keycloakRecipe(realmURL, api string) core.Config {
	return core.Config{
		Issuer:         realmURL,
		Audience:       []string{api},
		RequiredClaims: map[string]string{"typ": "Bearer"},
	}
}

func keycloakAzpRecipe(realmURL, clientID string) core.Config {
	return core.Config{
		Issuer:           realmURL,
		Audience:         []string{clientID},
		AudienceFallback: "azp",
		RequiredClaims:   map[string]string{"typ": "Bearer"},
	}
}

func hydraRecipe(publicURL, audience string) core.Config {
	return core.Config{
		Issuer:   publicURL,
		Audience: []string{audience},
	}
}

func hydraIDRecipe(publicURL, clientID string) core.Config {
	return core.Config{
		Issuer:   publicURL,
		Audience: []string{clientID},
		Profile:  core.IDTokens,
	}
}

func dexRecipe(issuer, clientID string) core.Config {
	return core.Config{
		Issuer:   issuer,
		Audience: []string{clientID},
		Profile:  core.IDTokens,
	}
}

func dexCrossClientRecipe(issuer, api, peer string) core.Config {
	return core.Config{
		Issuer:            issuer,
		Audience:          []string{api},
		Profile:           core.IDTokens,
		AuthorizedParties: []string{peer},
	}
}

func zitadelRecipe(instanceURL, clientID string) core.Config {
	return core.Config{
		Issuer:   instanceURL,
		Audience: []string{clientID},
		Profile:  core.IDTokens,
	}
}

func zitadelProjectRecipe(instanceURL, projectID, clientID string) core.Config {
	return core.Config{
		Issuer:            instanceURL,
		Audience:          []string{projectID},
		Profile:           core.IDTokens,
		AuthorizedParties: []string{clientID},
	}
}

// The claim paths the README's helpers read, as the provider tests use them.
var (
	auth0Permissions    = core.ClaimPath{"permissions"}
	auth0Roles          = core.ClaimPath{"https://orders.example.com/roles"}
	oktaGroups          = core.ClaimPath{"groups"}
	entraRoles          = core.ClaimPath{"roles"}
	cognitoGroups       = core.ClaimPath{"cognito:groups"}
	keycloakRealmRoles  = core.ClaimPath{"realm_access", "roles"}
	keycloakClientRoles = core.ClaimPath{"resource_access", "orders-api", "roles"}
	dexGroups           = core.ClaimPath{"groups"}
	zitadelRoles        = core.ClaimPath{providers.RolesClaim}
)

// hydraVerifiedEmail is the rule the README gives for Hydra, whose
// email_verified is under ext.
func hydraVerifiedEmail(_ context.Context, c *core.Claims) error {
	var t struct {
		Ext struct {
			EmailVerified bool `json:"email_verified"`
		} `json:"ext"`
	}
	if err := c.Decode(&t); err != nil || !t.Ext.EmailVerified {
		return &core.PolicyError{Rule: "email_verified", Description: "the email address is not verified"}
	}
	return nil
}

// readmeRecipe is one recipe as the README must show it.
type readmeRecipe struct {
	provider string // the ### heading under ## Providers
	config   core.Config
	shows    []string // further text the provider's section must hold: helpers
}

func readmeRecipes() []readmeRecipe {
	return []readmeRecipe{
		{"Auth0", auth0Recipe("https://{tenant}.auth0.com/", "https://orders.example.com/api"),
			[]string{lit(auth0Permissions), lit(auth0Roles)}},
		{"Okta", oktaRecipe("https://{yourOktaDomain}/oauth2/default", "api://default"),
			[]string{`RequireScope("orders:read")`, lit(oktaGroups)}},
		{
			"Microsoft Entra ID",
			entraV2Recipe("https://login.microsoftonline.com/{tenant-id}/v2.0", "{api-application-id}"),
			[]string{
				`RequireScope("Orders.Read")`,
				lit(entraRoles),
				"Several issuers",
				`core.RequireEntraAuthContext("c1")`,
				entraAuthContextChallenge,
			},
		},
		{
			"Microsoft Entra ID",
			entraV1Recipe(
				"https://sts.windows.net/{tenant-id}/",
				"https://login.microsoftonline.com/{tenant-id}/discovery/keys",
				"api://orders-api",
			),
			nil,
		},
		{
			"AWS Cognito",
			cognitoAccessRecipe("https://cognito-idp.{region}.amazonaws.com/{user-pool-id}", "{app-client-id}"),
			[]string{lit(cognitoGroups)},
		},
		{
			"AWS Cognito",
			cognitoIDRecipe("https://cognito-idp.{region}.amazonaws.com/{user-pool-id}", "{app-client-id}"),
			nil,
		},
		{
			"Google",
			googleRecipe(
				"https://accounts.google.com",
				"accounts.google.com",
				"{client-id}.apps.googleusercontent.com",
			),
			nil,
		},
		{"Keycloak", keycloakRecipe("https://{host}/realms/{realm}", "orders-api"),
			[]string{lit(keycloakRealmRoles), lit(keycloakClientRoles)}},
		{"Keycloak", keycloakAzpRecipe("https://{host}/realms/{realm}", "orders-web"), nil},
		{"ORY Hydra", hydraRecipe("https://{hydra-public-url}/", "orders-api"),
			[]string{`RequireScope("orders.read")`, "c.Decode(&t)", "t.Ext.EmailVerified"}},
		{"ORY Hydra", hydraIDRecipe("https://{hydra-public-url}/", "orders-web"), nil},
		{
			"Dex",
			dexRecipe("https://{host}/dex", "{client-id}"),
			[]string{lit(dexGroups), "IDENTSPHERE_TOKEN_PROFILE=id"},
		},
		{
			"Dex",
			dexCrossClientRecipe("https://{host}/dex", "orders-api", "orders-web"),
			[]string{"IDENTSPHERE_AUTHORIZED_PARTIES=orders-web"},
		},
		{
			"Zitadel",
			zitadelRecipe("https://{instance}.zitadel.cloud", "{client-id}"),
			[]string{lit(zitadelRoles), "IDENTSPHERE_TOKEN_PROFILE=id"},
		},
		{"Zitadel", zitadelProjectRecipe("https://{instance}.zitadel.cloud", "{project-id}", "{client-id}"), nil},
	}
}

// lit renders a claim path as the Go literal the README writes.
func lit(p core.ClaimPath) string {
	q := make([]string, len(p))
	for i, name := range p {
		q[i] = fmt.Sprintf("%q", name)
	}
	return "core.ClaimPath{" + strings.Join(q, ", ") + "}"
}

// TestREADMEShowsTheRecipes reads the Providers section of README.md: each
// provider's Go blocks that build a core.Config must be, in order, the
// recipes the tests run, setting the same fields to the same values, and
// the section must show the helpers the tests use.
func TestREADMEShowsTheRecipes(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := providerSections(t, string(readme))
	blocks := map[string][]string{} // provider → its Config blocks, in order
	for name, text := range sections {
		for _, block := range goBlocks(text) {
			if strings.Contains(block, "core.Config{") {
				blocks[name] = append(blocks[name], block)
			}
		}
	}
	want := readmeRecipes()
	used := map[string]int{}
	for _, r := range want {
		section, ok := sections[r.provider]
		if !ok {
			t.Errorf("README: no section %q under ## Providers", r.provider)
			continue
		}
		n := used[r.provider]
		used[r.provider]++
		if n >= len(blocks[r.provider]) {
			t.Errorf("README %s: %d core.Config blocks, the tests run more", r.provider, len(blocks[r.provider]))
			continue
		}
		block := blocks[r.provider][n]
		if got, want := configFields(block), setFields(r.config); !slices.Equal(got, want) {
			t.Errorf("README %s, recipe %d sets %v, the test sets %v", r.provider, n+1, got, want)
		}
		for _, v := range configValues(r.config) {
			if !strings.Contains(block, v) {
				t.Errorf("README %s, recipe %d does not show %s", r.provider, n+1, v)
			}
		}
		for _, s := range r.shows {
			if !strings.Contains(section, s) {
				t.Errorf("README %s does not show %s", r.provider, s)
			}
		}
	}
	for name, b := range blocks {
		if used[name] != len(b) {
			t.Errorf("README %s: %d core.Config blocks, the tests run %d of them", name, len(b), used[name])
		}
	}
}

// providerSections splits the ## Providers section of the README by its
// ### headings.
func providerSections(t *testing.T, readme string) map[string]string {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "\n## Providers\n")
	if !ok {
		t.Fatal("README.md has no ## Providers section")
	}
	if end := strings.Index(rest, "\n## "); end >= 0 {
		rest = rest[:end]
	}
	sections := map[string]string{}
	parts := strings.Split(rest, "\n### ")
	for _, part := range parts[1:] {
		name, body, _ := strings.Cut(part, "\n")
		sections[strings.TrimSpace(name)] = body
	}
	return sections
}

func goBlocks(text string) []string {
	var blocks []string
	for {
		_, after, ok := strings.Cut(text, "```go\n")
		if !ok {
			return blocks
		}
		block, rest, _ := strings.Cut(after, "```")
		blocks = append(blocks, block)
		text = rest
	}
}

// configFields lists the field names set in the core.Config literal of a
// README block, sorted: the lines indented by one tab, up to the literal's
// closing brace.
func configFields(block string) []string {
	_, body, _ := strings.Cut(block, "core.Config{")
	body, _, _ = strings.Cut(body, "\n}")
	var fields []string
	for _, m := range fieldLine.FindAllStringSubmatch(body, -1) {
		fields = append(fields, m[1])
	}
	slices.Sort(fields)
	return fields
}

// fieldLine is a line of a Config literal that sets a field: one tab of
// indentation, then Name: value.
var fieldLine = regexp.MustCompile(`(?m)^\t([A-Z][A-Za-z]*):`)

// setFields lists the fields that cfg sets, sorted.
func setFields(cfg core.Config) []string {
	var fields []string
	v := reflect.ValueOf(cfg)
	for i := range v.NumField() {
		if !v.Field(i).IsZero() {
			fields = append(fields, v.Type().Field(i).Name)
		}
	}
	slices.Sort(fields)
	return fields
}

// configValues renders what a README block must show of cfg's values: each
// string quoted, as Go writes it, and the profile's constant.
func configValues(cfg core.Config) []string {
	var out []string
	q := func(ss ...string) {
		for _, s := range ss {
			if s != "" {
				out = append(out, fmt.Sprintf("%q", s))
			}
		}
	}
	q(cfg.Issuer, cfg.JWKSURL, cfg.AudienceFallback)
	q(cfg.Audience...)
	q(cfg.IssuerAliases...)
	q(cfg.AuthorizedParties...)
	q(cfg.Algorithms...)
	for name, value := range cfg.RequiredClaims {
		out = append(out, fmt.Sprintf("%q: %q", name, value))
	}
	if cfg.Profile != core.AccessTokens {
		out = append(out, "core."+cfg.Profile.String())
	}
	if cfg.RequireVerifiedEmail {
		out = append(out, "RequireVerifiedEmail: true")
	}
	return out
}
