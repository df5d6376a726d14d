package authproxy_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestProxyAndValidatorAreSeparate holds the packages apart: token
// validation (core) does not carry the proxy, and the proxy does not need
// the validator.
func TestProxyAndValidatorAreSeparate(t *testing.T) {
	const module = "github.com/identsphere/identsphere-go/"
	for dir, forbidden := range map[string]string{"../core": module + "authproxy", ".": module + "core"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, file := range files {
			if dir == "." && strings.HasSuffix(file, "_test.go") {
				continue // tests may use what they like
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				if path, _ := strconv.Unquote(imp.Path.Value); path == forbidden ||
					strings.HasPrefix(path, forbidden+"/") {
					t.Errorf("%s imports %s", file, path)
				}
			}
		}
	}
}
