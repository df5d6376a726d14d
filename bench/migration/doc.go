// Package migration compiles and runs the "before" code of the README's
// migration guides: the setups of golang-jwt with keyfunc,
// auth0/go-jwt-middleware, go-chi/jwtauth and go-oidc's IDTokenVerifier, each
// in an example run against authtest's issuer on loopback on the same tokens
// as the guide's "after" example in the root module.
//
// It lives in the bench module so that those peers never enter the library's
// dependency graph. The package has no code of its own: everything is in its
// examples, and the root module's TestREADMEMigrationGuides checks that every
// Go block of a guide is a run of lines of the examples the guide names.
package migration
