package redistest

import (
	"fmt"
	"io"
	"os/exec"
	"sync"
	"testing"
)

// uncovered lists, for the test binary's run, the tests that returned
// early for want of a real redis-server, and why. Test-binary state: it
// lives as long as the package's test run, and only Report reads it.
var uncovered struct {
	mu    sync.Mutex
	lines []string
}

// RequireReal reports whether the test's Redis will be a real redis-server
// (Start will find one on PATH). When it will not, it records that the test
// did not cover why, and returns false: the test returns at once (it does
// not skip; the package's Report lists it). With
// IDENTSPHERE_REQUIRE_REDIS=1 and no redis-server, the test fails.
func RequireReal(t testing.TB, why string) bool {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err == nil {
		return true
	}
	if Required() {
		t.Fatalf("%s=1 and redis-server is not on PATH, which this test needs: %s", RequireEnv, why)
	}
	t.Logf("not covered without a real redis-server: %s", why)
	uncovered.mu.Lock()
	defer uncovered.mu.Unlock()
	uncovered.lines = append(uncovered.lines, t.Name()+": "+why)
	return false
}

// Report writes, once at the end of a package's run (its TestMain calls
// it after m.Run), what tests did not cover for want of a real
// redis-server, and how to cover it. It writes nothing when they covered
// everything.
func Report(w io.Writer) {
	uncovered.mu.Lock()
	defer uncovered.mu.Unlock()
	if len(uncovered.lines) == 0 {
		return
	}
	fmt.Fprintf(
		w,
		"redistest: no redis-server on PATH; these tests ran against the in-process Redis and did not cover:\n",
	)
	for _, l := range uncovered.lines {
		fmt.Fprintf(w, "  - %s\n", l)
	}
	fmt.Fprintf(w, "redistest: install redis-server and run them again (%s=1 makes it mandatory)\n", RequireEnv)
	uncovered.lines = nil
}
