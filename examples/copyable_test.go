package examples_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// starters are the directories of the apps that obey the contract.
var starters = []string{"chi-starter", "gin-go-starter"}

// Each starter is copied alone, as a first commit of a new service: it is
// router glue and routes over package resourceserver, so it imports public
// packages only (nothing under internal/, which another module cannot
// import, nor another directory of examples/), and keeps no copy of
// production wiring for a twin to keep equal.
// The gRPC starter is held to the same.
func TestStartersImportOnlyPublicPackages(t *testing.T) {
	for _, dir := range append(starters[:len(starters):len(starters)], "grpc-starter") {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", dir, err)
		}
		for _, f := range files {
			parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range parsed.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if strings.Contains(path, "/internal/") || strings.Contains(path, "identsphere-go/examples") {
					t.Errorf("%s imports %s: a copy of the starter could not build", f, path)
				}
			}
		}
	}
}
