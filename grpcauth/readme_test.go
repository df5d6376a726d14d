package grpcauth_test

import (
	"testing"

	"github.com/identsphere/identsphere-go/internal/readmetest"
)

// The README's section "gRPC" shows the setup Example compiles and runs:
// every line of its Go block is a line of the example, and it stays within
// 15 lines.
func TestREADMEGRPCSetupIsTheExample(t *testing.T) {
	setup := readmetest.GoBlock(t, readmetest.Section(t, "../README.md", "gRPC"))
	readmetest.LinesIn(t, setup, "example_test.go", 15)
}
