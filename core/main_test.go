package core_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine a Validator starts must end with Close or its context.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
