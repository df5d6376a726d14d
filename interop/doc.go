// Package interop holds no code of its own: its tests run a real OpenID
// provider written by others (the op package of github.com/zitadel/oidc/v3,
// in process, on loopback) and prove that the tokens it issues through its
// real flows pass through stdauth, chiauth, ginauth and both starter
// binaries, and that what must fail fails. See README.md.
//
// It is a module of its own so that its dependencies never reach the SDK's
// users.
package interop
