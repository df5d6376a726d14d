package redistest

import (
	"os"
	"testing"
)

// What the tests could not cover without a real redis-server is printed
// once, at the end.
func TestMain(m *testing.M) {
	code := m.Run()
	Report(os.Stdout)
	os.Exit(code)
}
