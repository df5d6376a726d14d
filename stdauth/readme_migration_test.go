package stdauth_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/internal/readmetest"
)

// exampleRef is how a README migration guide names an example that runs its
// code: `ExampleName` (`package/file_test.go`), the "before" in the bench
// module's bench/migration, the "after" in this module.
var exampleRef = regexp.MustCompile("`(Example\\w+)` \\(`([\\w/.-]+_test\\.go)`\\)")

// Each migration guide of the README names the examples that compile and run
// its code, those examples exist where the guide says and run (they have an
// Output comment), and every Go block of the guide is a run of whole lines
// of one of them: a renamed or moved example, or an edit on either side of a
// block, fails here, not in a reader's hands.
func TestREADMEMigrationGuidesAreTheExamples(t *testing.T) {
	section := readmetest.Section(t, "../README.md", "Migrating from another library")
	guides := strings.Split(section, "\n### ")[1:]
	if len(guides) != 4 {
		t.Fatalf(
			"README names %d migration guides, want 4 (golang-jwt + keyfunc, auth0, jwtauth, go-oidc)",
			len(guides),
		)
	}
	for _, guide := range guides {
		title, _, _ := strings.Cut(guide, "\n")
		refs := exampleRef.FindAllStringSubmatch(guide, -1)
		if len(refs) != 2 {
			t.Errorf("guide %q names %d examples, want 2: the before's and the after's", title, len(refs))
		}
		blocks := readmetest.GoBlocks(guide)
		if len(blocks) < 2 {
			t.Errorf("guide %q shows %d Go blocks, want a before and an after", title, len(blocks))
		}
		shown := make([]bool, len(blocks))
		for _, ref := range refs {
			body, ok := exampleSource(t, title, ref[1], ref[2])
			if !ok {
				continue
			}
			n := 0
			for i, b := range blocks {
				if readmetest.IsRunOf(b, body) {
					shown[i] = true
					n++
				}
			}
			if n == 0 {
				t.Errorf("guide %q shows no block of %s (%s)", title, ref[1], ref[2])
			}
		}
		for i, b := range blocks {
			if !shown[i] {
				t.Errorf("guide %q: this block is not lines of the examples it names:\n%s", title, b)
			}
		}
	}
}

// exampleSource reads the file path (relative to the repository root) and
// returns the body of the example name, which it must define with an Output
// comment so that go test runs it rather than only compiling it.
func exampleSource(t *testing.T, guide, name, path string) (string, bool) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(path)))
	if err != nil {
		t.Errorf("guide %q: %v", guide, err)
		return "", false
	}
	_, body, ok := strings.Cut(string(src), "\nfunc "+name+"() {\n")
	if !ok {
		t.Errorf("guide %q names %s, which %s does not define", guide, name, path)
		return "", false
	}
	body, _, _ = strings.Cut(body, "\n}\n")
	if !strings.Contains(body, "\n\t// Output:\n") {
		t.Errorf("guide %q: %s has no Output comment, so go test compiles it without running it", guide, name)
	}
	return body, true
}
