// Package examples holds the starter apps, one per subdirectory, and the
// end-to-end suite that holds them to one contract: it builds each starter
// and drives the binaries over HTTP with the same cases, against a fake
// issuer running in the test process.
//
// The starters are meant to be copied as a first commit; they import only
// the public packages of this module (a test checks it). Their production
// wiring is package resourceserver's, so each is its router and routes,
// with nothing of its own for a twin to keep equal. examples/fleet runs a
// local fleet (Redis, a development issuer, two replicas) in one command.
package examples
