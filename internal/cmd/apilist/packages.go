package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"strings"
)

// goPackage is the part of go list's answer the listing needs.
type goPackage struct {
	ImportPath string
	Name       string
	Export     string // the compiled package's export data
	DepOnly    bool   // a dependency, not matched by ./...
	Module     *struct{ Path string }
	Error      *struct{ Err string }
}

// listPackages runs go list -export on the module in dir: the module's own
// packages and every dependency, each with its export data file.
func listPackages(dir string) ([]goPackage, error) {
	cmd := exec.Command("go", "list", "-export", "-deps",
		"-json=ImportPath,Name,Export,DepOnly,Module,Error", "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -export ./...: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []goPackage
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, fmt.Errorf("reading go list's answer: %w", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("package %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p)
	}
}

// isPublic reports whether p is a package of the module that others may
// import and rely on: not a command, not internal, not an example.
func isPublic(p goPackage, module string) bool {
	if p.DepOnly || p.Module == nil || p.Module.Path != module || p.Name == "main" {
		return false
	}
	rel := strings.TrimPrefix(p.ImportPath, module)
	for _, elem := range strings.Split(rel, "/") {
		if elem == "internal" || elem == "examples" || elem == "testdata" {
			return false
		}
	}
	return true
}

// exportImporter reads packages from the export data go list named, as the
// compiler would when building an importer of them.
func exportImporter(pkgs []goPackage) types.Importer {
	files := make(map[string]string, len(pkgs))
	for _, p := range pkgs {
		files[p.ImportPath] = p.Export
	}
	lookup := func(path string) (io.ReadCloser, error) {
		file := files[path]
		if file == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(file)
	}
	return importer.ForCompiler(token.NewFileSet(), "gc", lookup)
}
