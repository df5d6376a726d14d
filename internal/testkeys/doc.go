// Package testkeys provides the fixed private keys that every test in this
// module signs with.
//
// Committing keys makes tests fast and deterministic: no test spends time
// generating RSA keys, and a failure reproduces with the exact same key
// material. The keys are public by construction (they live in the
// repository), so they protect nothing and must never be used outside tests.
//
// Each accessor parses its PEM file once and then returns the same value. The
// returned keys are shared: callers must treat them as read-only.
package testkeys
