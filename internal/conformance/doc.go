// Package conformance proves that the net/http, chi and gin adapters answer
// every request alike: one table of cases (package authcases) runs through
// all three, and their answers are compared byte for byte. It holds only
// tests.
package conformance
