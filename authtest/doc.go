// Package authtest runs a fake OpenID Connect issuer on loopback, for tests
// and local development only. Never use it in production: it signs whatever
// it is asked to, accepts any password, and by default keeps its signing keys
// in memory with no protection.
//
// An Issuer is a real HTTP server (httptest.Server on 127.0.0.1) that serves
// a discovery document at /.well-known/openid-configuration and its public
// keys at /.well-known/jwks.json, and mints real compact-JWS access tokens
// signed with those keys. Tests therefore exercise the same code path as
// production: discovery, JWKS fetch, signature verification, claim checks.
//
// Besides the happy path, an Issuer can misbehave on purpose so that the
// failure handling of a relying party can be tested: rotate, remove or
// replace keys (AddKey, RemoveKey, UseKey, SetJWKS), advertise a different
// issuer (WithDiscoveryIssuer), hide discovery (WithoutDiscovery), fail its
// endpoints (SetFault), and mint hostile tokens (SignWithKey, WithHeader,
// WithAlg, SignWithSecret).
//
// It also serves minimal login, signup, logout and refresh endpoints under
// /v1/auth/ so that a development setup has an identity provider to talk to
// without any configuration.
package authtest
