//go:build race

package interop_test

// raceEnabled: the starters are built with -race too, so that a data race
// they hit while serving the provider's tokens fails the test.
const raceEnabled = true
