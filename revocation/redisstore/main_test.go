package redisstore_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/identsphere/identsphere-go/internal/redistest"
)

// Every goroutine a Store starts must end with Close. What the tests could
// not cover without a real redis-server is printed once, at the end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		redistest.Report(os.Stdout)
		os.Exit(code)
	}))
}
