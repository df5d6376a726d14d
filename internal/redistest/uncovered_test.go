package redistest

import (
	"bytes"
	"strings"
	"testing"
)

// Without redis-server on PATH, RequireReal records why the test returns
// early, and Report lists it once; with nothing recorded it writes
// nothing.
func TestRequireRealRecordsAndReportPrintsOnce(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no redis-server there
	t.Setenv(RequireEnv, "")
	var first, second bytes.Buffer
	t.Run("needs-a-real-one", func(t *testing.T) {
		if RequireReal(t, "a frozen process") {
			t.Fatal("RequireReal found a redis-server in an empty PATH")
		}
	})
	Report(&first)
	Report(&second)
	if got := first.String(); !strings.Contains(
		got,
		"TestRequireRealRecordsAndReportPrintsOnce/needs-a-real-one: a frozen process",
	) ||
		!strings.Contains(got, RequireEnv+"=1") {
		t.Fatalf("report:\n%s", got)
	}
	if second.Len() != 0 {
		t.Fatalf("reported twice:\n%s", second.String())
	}
}
