package redisstore_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine a Store starts must end with Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
