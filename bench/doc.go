// Package bench compares the cost of identsphere's middleware with the floor
// every local validator pays (one RSA-2048 signature check) and with what
// teams use instead: golang-jwt by hand, auth0/go-jwt-middleware and
// go-chi/jwtauth.
//
// It is a module of its own so that the peers it measures never enter the
// library's dependency graph. Everything is in the benchmarks of this package
// and the programs under cmd/; run.sh runs them all and prints the table.
// The package migration runs the "before" code of the README's migration
// guides, for the same reason.
// See README.md for how to read the figures.
package bench
