package authproxy_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The proxy's transport and the test servers must leave nothing running.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
