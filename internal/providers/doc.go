// Package providers mints the tokens of real identity providers (Auth0,
// Okta, Microsoft Entra ID, AWS Cognito, Google, Keycloak, ORY Hydra, Dex,
// Zitadel) in the shapes their public documentation describes: the issuer
// URL with its path or trailing slash, the header (typ or none), the aud
// shape, and where each puts scopes, roles, permissions and the token's
// kind. Each fixture also mints the twins a validator must refuse: another
// audience, another tenant, another kind of token.
//
// The fixtures are authtest issuers on loopback, signing with the fixed
// keys of internal/testkeys. The package's tests run the recipes of the
// README's Providers section against them, through core.Validator and
// through stdauth. It is for tests only.
package providers
