package core

import (
	"bufio"
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/internal/readmetest"
)

// TestREADMENamesEveryDirectDependency: the README's Dependencies section
// says what each direct requirement of go.mod does here, so a module added
// or dropped without a word fails.
func TestREADMENamesEveryDirectDependency(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	section := readmetest.Section(t, "../README.md", "Dependencies")
	inRequire, direct := false, 0
	for sc := bufio.NewScanner(bytes.NewReader(mod)); sc.Scan(); {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "require (":
			inRequire = true
		case line == ")":
			inRequire = false
		case inRequire && !strings.HasSuffix(line, "// indirect"):
			path, _, _ := strings.Cut(line, " ")
			direct++
			if !strings.Contains(section, "`"+path+"`") {
				t.Errorf("go.mod requires %s, which README.md's Dependencies section does not name", path)
			}
		}
	}
	if direct == 0 {
		t.Fatal("no direct requirement found in go.mod")
	}
}

// TestCoreBuildsNoKeyfunc: core reads keys from its own snapshot, so it
// neither imports keyfunc nor builds a jwkset store it would never read;
// jwkset is used only where key material becomes keys, in internal/jose.
func TestCoreBuildsNoKeyfunc(t *testing.T) {
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/MicahParks/") {
				t.Errorf("%s imports %s: core reads its own key snapshot", path, p)
			}
		}
	}
}

// TestArchitectureNamesFilesThatExist: the package doc's request path names
// the file of each step; a file moved or renamed must take the doc along.
func TestArchitectureNamesFilesThatExist(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(src), "# Architecture: the request path")
	if !ok {
		t.Fatal("doc.go has no Architecture section")
	}
	named := 0
	separator := func(r rune) bool { return strings.ContainsRune(" \t\n,;:()", r) }
	for _, word := range strings.FieldsFunc(section, separator) {
		if !strings.HasSuffix(word, ".go") || !strings.Contains(word, "/") {
			continue
		}
		named++
		if _, err := os.Stat(filepath.Join("..", word)); err != nil {
			t.Errorf("doc.go's Architecture names %s: %v", word, err)
		}
	}
	if named < 20 {
		t.Fatalf("doc.go's Architecture names %d files; the request path names more", named)
	}
}
