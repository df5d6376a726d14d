package stdauth_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// exampleRef is how a README migration guide names the example that runs its
// "after": `ExampleName` (`package/file_test.go`).
var exampleRef = regexp.MustCompile("`(Example\\w+)` \\(`([\\w/.-]+_test\\.go)`\\)")

// Each migration guide of the README names the example that compiles and
// runs its code, and that example exists where the guide says: a renamed or
// moved example fails here, not in a reader's hands.
func TestREADMEMigrationGuidesNameTheirExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Migrating from another library\n")
	if !ok {
		t.Fatal("README.md has no ## Migrating from another library section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	guides := strings.Split(section, "\n### ")[1:]
	if len(guides) != 4 {
		t.Fatalf("README names %d migration guides, want 4 (golang-jwt + keyfunc, auth0, jwtauth, go-oidc)", len(guides))
	}
	for _, guide := range guides {
		title, _, _ := strings.Cut(guide, "\n")
		refs := exampleRef.FindAllStringSubmatch(guide, -1)
		if len(refs) == 0 {
			t.Errorf("guide %q names no example", title)
		}
		for _, ref := range refs {
			src, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(ref[2])))
			if err != nil {
				t.Errorf("guide %q: %v", title, err)
				continue
			}
			_, body, ok := strings.Cut(string(src), "\nfunc "+ref[1]+"() {\n")
			if !ok {
				t.Errorf("guide %q names %s, which %s does not define", title, ref[1], ref[2])
				continue
			}
			body, _, _ = strings.Cut(body, "\n}\n")
			if !strings.Contains(body, "\n\t// Output:\n") {
				t.Errorf("guide %q: %s has no Output comment, so go test compiles it without running it", title, ref[1])
			}
		}
	}
}
