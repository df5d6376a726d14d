package resourceserver_test

import (
	"os"
	"strings"
	"testing"
)

// The README's "Production setup as a library" shows the body of runChi,
// which Example_chi compiles: the shown lines cannot rot, and stay within
// the 15 the section promises.
func TestREADMEShowsTheExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Production setup as a library\n")
	if !ok {
		t.Fatal("README.md has no ## Production setup as a library section")
	}
	_, code, ok := strings.Cut(section, "```go\n")
	if !ok {
		t.Fatal("the section shows no Go code")
	}
	code, _, _ = strings.Cut(code, "```\n")

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
