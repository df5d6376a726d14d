// Package interop holds no code of its own: its tests run real OpenID
// providers written by others (the op package of github.com/zitadel/oidc/v3,
// in process, and the ORY Hydra v2.3.0 server, built from the Go module
// proxy and run as its own process, both on loopback) and prove that the
// tokens they issue through their real flows pass through stdauth, chiauth,
// ginauth and both starter binaries, and that what must fail fails. See
// README.md.
//
// It is a module of its own so that its dependencies never reach the SDK's
// users.
package interop
