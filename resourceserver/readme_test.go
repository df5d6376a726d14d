package resourceserver_test

import (
	"os"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/internal/readmetest"
)

// The README's "Production setup as a library" shows the body of runChi,
// which Example_chi compiles: the shown lines cannot rot, and stay within
// the 15 the section promises.
func TestREADMEShowsTheExamples(t *testing.T) {
	code := readmetest.GoBlock(t, readmetest.Section(t, "../README.md", "Production setup as a library"))

	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(src), "\nfunc runChi(ctx context.Context, orders http.HandlerFunc) error {\n")
	if !ok {
		t.Fatal("example_test.go has no runChi")
	}
	body, _, _ = strings.Cut(body, "\n}\n")
	var lines []string
	for l := range strings.SplitSeq(body, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	if want := strings.Join(lines, "\n") + "\n"; code != want {
		t.Errorf("the README's code differs from runChi's body:\nREADME:\n%s\nrunChi:\n%s", code, want)
	}
	if n := strings.Count(code, "\n"); n > 15 {
		t.Errorf("the setup takes %d lines, more than 15", n)
	}
}
