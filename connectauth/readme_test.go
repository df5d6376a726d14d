package connectauth_test

import (
	"os"
	"strings"
	"testing"
)

// The README's section "Connect" shows the setup Example compiles and runs:
// every line of its Go block is a line of the example, and it stays within
// 15 lines.
func TestREADMEConnectSetupIsTheExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Connect\n")
	if !ok {
		t.Fatal("README.md has no section Connect")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	_, block, ok := strings.Cut(section, "```go\n")
	if !ok {
		t.Fatal("the section has no Go block")
	}
	block, _, _ = strings.Cut(block, "```")
	lines := map[string]bool{}
	for line := range strings.SplitSeq(string(example), "\n") {
		lines[strings.TrimSpace(line)] = true
	}
	n := 0
	for line := range strings.SplitSeq(block, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			n++
			if !lines[line] {
				t.Errorf("README line not in the example: %s", line)
			}
		}
	}
	if n == 0 || n > 15 {
		t.Errorf("the setup is %d lines, want 1 to 15", n)
	}
}
