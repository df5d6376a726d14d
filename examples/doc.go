// Package examples holds the starter apps, one per subdirectory, and the
// end-to-end suite that holds them to one contract: it builds each starter
// and drives the binaries over HTTP with the same cases, against a fake
// issuer running in the test process.
//
// The starters are meant to be copied as a first commit; they import only
// the public packages of this module. So each holds its own copy of the
// files that do not depend on its router, and a test keeps those copies
// the same.
package examples
