package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// moduleRoot is the module's root, from this package's directory.
const moduleRoot = "../../.."

// The committed api/ files are the public API of the code: a change of an
// exported identifier fails here until api/ is regenerated and committed, so
// every API change is a visible diff in review.
func TestAPIListingIsCurrent(t *testing.T) {
	var diff strings.Builder
	if err := run(moduleRoot, false, &diff); err != nil {
		t.Fatalf("%v\n\n%s\nRegenerate from the module root with:\n\t%s", err, diff.String(), regenerate)
	}
}

const samplePackage = `package sample

import "time"

const Untyped = 3
const Typed time.Duration = 2 * time.Second
const Ratio = 1.0 / 3
const hidden = 1

var ErrSample error

type Config struct {
	Name    string
	Timeout time.Duration
	secret  string
	*Base
}

type Base struct{}

func (*Base) Close() error { return nil }

type Sealed interface {
	Name() string
	sealed()
}

type Number interface{ ~int | ~float64 }

type Set[T comparable] map[T]bool

func (s Set[T]) Has(v T) bool { return s[v] }

type Alias = Config

func New(cfg Config, opts ...string) (*Config, error) { return &cfg, nil }

func Sum[N Number](ns ...N) (total N) { return }

func (c Config) String() string { return c.Name }

func (c *Config) unexported() {}

func helper() {}
`

// Each kind of exported identifier gets its line, unexported ones none, and
// lines come out sorted.
func TestAPILinesListEveryExportedIdentifier(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "sample.go", samplePackage, 0)
	if err != nil {
		t.Fatal(err)
	}
	conf := types.Config{Importer: exportImporterForTest(t)}
	pkg, err := conf.Check("example.com/sample", fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"const Ratio untyped float = 1/3",
		"const Typed time.Duration = 2000000000",
		"const Untyped untyped int = 3",
		"func New(cfg Config, opts ...string) (*Config, error)",
		"func Sum[N Number](ns ...N) (total N)",
		"method (*Base) Close() error",
		"method (Config) String() string",
		"method (Set[T]) Has(v T) bool",
		"type Alias = Config",
		"type Base struct",
		"type Config struct",
		"type Config struct, Name string",
		"type Config struct, Timeout time.Duration",
		"type Config struct, embedded *Base",
		"type Number interface",
		"type Number interface, constraint ~int | ~float64",
		"type Sealed interface",
		"type Sealed interface, Name() string",
		"type Sealed interface, unexported methods",
		"type Set[T comparable] map[T]bool",
		"var ErrSample error",
	}
	got := apiLines(pkg)
	if !slices.Equal(got, want) {
		t.Errorf("apiLines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// exportImporterForTest imports the standard library from export data, as
// the command does.
func exportImporterForTest(t *testing.T) types.Importer {
	t.Helper()
	pkgs, err := listStd(t.TempDir(), "time")
	if err != nil {
		t.Fatal(err)
	}
	return exportImporter(pkgs)
}

// listStd lists std packages and their dependencies with export data, from
// a scratch module in dir.
func listStd(dir string, paths ...string) ([]goPackage, error) {
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/scratch\n"), 0o644); err != nil {
		return nil, err
	}
	src := "package scratch\n\nimport (\n"
	for _, p := range paths {
		src += "\t_ " + `"` + p + `"` + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "scratch.go"), []byte(src+")\n"), 0o644); err != nil {
		return nil, err
	}
	return listPackages(dir)
}

// A stale, a missing and a left-over file are each reported, with the lines
// added and removed; after writing, nothing is.
func TestDiffListingsReportsEveryDifference(t *testing.T) {
	dir := t.TempDir()
	old := []listing{
		{path: "m/a", rel: "a", lines: []string{"func Kept()", "func Removed()"}},
		{path: "m/gone", rel: "gone", lines: []string{"func Gone()"}},
	}
	if err := writeListings(dir, old); err != nil {
		t.Fatal(err)
	}
	current := []listing{
		{path: "m/a", rel: "a", lines: []string{"func Added()", "func Kept()"}},
		{path: "m/b/c", rel: "b/c", lines: []string{"type C struct"}},
	}
	diff, err := diffListings(dir, current)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"api/a.txt differs from package m/a:\n\t- func Removed()\n\t+ func Added()\n",
		"api/b/c.txt is missing (package m/b/c)\n",
		"api/gone.txt lists no public package\n",
	} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}
	if strings.Contains(diff, "Kept") {
		t.Errorf("diff names an unchanged line:\n%s", diff)
	}
	if err := writeListings(dir, current); err != nil {
		t.Fatal(err)
	}
	if diff, err := diffListings(dir, current); err != nil || diff != "" {
		t.Errorf("after writing: diff %q, error %v", diff, err)
	}
	if _, err := os.Stat(filepath.Join(dir, apiDir, "gone.txt")); !os.IsNotExist(err) {
		t.Errorf("a package's stale listing survived writing: %v", err)
	}
}

func TestIsPublic(t *testing.T) {
	mod := &struct{ Path string }{"m"}
	other := &struct{ Path string }{"other"}
	for _, c := range []struct {
		p    goPackage
		want bool
	}{
		{goPackage{ImportPath: "m/core", Name: "core", Module: mod}, true},
		{goPackage{ImportPath: "m/revocation/redisstore", Name: "redisstore", Module: mod}, true},
		{goPackage{ImportPath: "m", Name: "m", Module: mod}, true},
		{goPackage{ImportPath: "m/internal/x", Name: "x", Module: mod}, false},
		{goPackage{ImportPath: "m/a/internal", Name: "internal", Module: mod}, false},
		{goPackage{ImportPath: "m/examples", Name: "examples", Module: mod}, false},
		{goPackage{ImportPath: "m/examples/chi-starter", Name: "main", Module: mod}, false},
		{goPackage{ImportPath: "m/cmd/tool", Name: "main", Module: mod}, false},
		{goPackage{ImportPath: "m/core", Name: "core", Module: mod, DepOnly: true}, false},
		{goPackage{ImportPath: "other/core", Name: "core", Module: other}, false},
		{goPackage{ImportPath: "fmt", Name: "fmt"}, false},
	} {
		if got := isPublic(c.p, "m"); got != c.want {
			t.Errorf("isPublic(%s, %s) = %v, want %v", c.p.ImportPath, c.p.Name, got, c.want)
		}
	}
}
