// Package readmetest reads README.md for the tests that keep it true: a
// section by its heading, the Go code it shows, and whether each line of
// that code is a line of the example that go test compiles and runs, so
// that the README's code cannot drift from code that works.
package readmetest

import (
	"os"
	"strings"
	"testing"
)

// Section returns the text of the Markdown file at path under the
// heading "## " + heading, up to the next "## " heading. It fails t if
// the file cannot be read or has no such section.
func Section(t testing.TB, path, heading string) string {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## "+heading+"\n")
	if !ok {
		t.Fatalf("%s has no section %q", path, heading)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	return section
}

// GoBlock returns the code of the first ```go block of text, each line
// with its newline. It fails t if there is none.
func GoBlock(t testing.TB, text string) string {
	t.Helper()
	_, block, ok := strings.Cut(text, "```go\n")
	if !ok {
		t.Fatal("the section has no Go block")
	}
	block, _, _ = strings.Cut(block, "```")
	return block
}

// LinesIn checks that every line of code that is not blank is a line of
// the Go file at path, indentation aside (the example that compiles and
// runs the code the README shows), and that there are 1 to maxLines of
// them (what the README promises a setup takes).
func LinesIn(t testing.TB, code, path string, maxLines int) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, line := range strings.Split(string(src), "\n") {
		lines[strings.TrimSpace(line)] = true
	}
	n := 0
	for _, line := range strings.Split(code, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			n++
			if !lines[line] {
				t.Errorf("README line not in %s: %s", path, line)
			}
		}
	}
	if n == 0 || n > maxLines {
		t.Errorf("the setup is %d lines, want 1 to %d", n, maxLines)
	}
}
