package main

import (
	"testing"

	"go.uber.org/goleak"
)

// The command starts no goroutine; the check keeps it so.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
