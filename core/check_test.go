package core

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// checkConst is one Check constant as check.go declares it.
type checkConst struct {
	name, value, doc string
}

// checkConstants reads the Check constants from check.go's source, with
// their line comments: the one list the docs are checked against.
func checkConstants(t *testing.T) []checkConst {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "check.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var out []checkConst
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Check" {
				t.Fatalf("check.go: const %s is not of type Check", vs.Names[0].Name)
			}
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok || vs.Comment == nil {
				t.Fatalf("check.go: %s needs a string value and a line comment", vs.Names[0].Name)
			}
			out = append(
				out,
				checkConst{vs.Names[0].Name, strings.Trim(lit.Value, `"`), strings.TrimSpace(vs.Comment.Text())},
			)
		}
	}
	if len(out) == 0 {
		t.Fatal("check.go declares no Check constants")
	}
	return out
}

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's Check names table from check.go")

// TestREADMECheckNamesAreTheConstants keeps the README's "Check names"
// table equal to check.go's constants: same names, same constants, same
// sentences, same order. On a difference it lists each row to add or drop;
// go test -run TestREADMECheckNames ./core/ -update-readme rewrites it.
func TestREADMECheckNamesAreTheConstants(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	head, section, ok := strings.Cut(string(readme), "\n### Check names\n")
	if !ok {
		t.Fatal(`README.md has no "### Check names" section`)
	}
	var got []string
	first, end := -1, 0 // the table's rows, as offsets into section
	for line := range strings.Lines(section) {
		row := strings.TrimSpace(line)
		if strings.HasPrefix(row, "## ") {
			break
		}
		if strings.HasPrefix(row, "| `") {
			got = append(got, row)
			if first < 0 {
				first = end
			}
			end += len(line)
			continue
		}
		if first < 0 {
			end += len(line)
		}
	}
	var want []string
	for _, c := range checkConstants(t) {
		want = append(want, fmt.Sprintf("| `%s` | `%s` | %s |", c.value, c.name, c.doc))
	}
	if slices.Equal(got, want) {
		return
	}
	if *updateREADME && first >= 0 {
		table := strings.Join(want, "\n") + "\n"
		out := head + "\n### Check names\n" + section[:first] + table + section[end:]
		if err := os.WriteFile("../README.md", []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var diff []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			diff = append(diff, "+ "+w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			diff = append(diff, "- "+g)
		}
	}
	if len(diff) == 0 {
		diff = append(diff, "(same rows, another order: keep check.go's)")
	}
	t.Errorf("README.md's Check names table differs from core/check.go (+ add, - drop):\n%s", strings.Join(diff, "\n"))
}

// TestCheckDocsNameTheConstants: the godoc of the types that carry a
// check names the constants, never a list of strings of its own (the lists
// that went stale), and names only constants that exist. The README does
// not send users to another library's error values.
func TestCheckDocsNameTheConstants(t *testing.T) {
	values, names := map[string]bool{}, map[string]bool{}
	for _, c := range checkConstants(t) {
		values[c.value], names[c.name] = true, true
	}
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/identsphere/identsphere-go/core", doc.AllDecls)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	for _, ty := range p.Types {
		docs[ty.Name] = ty.Doc
		for _, f := range ty.Funcs {
			docs[f.Name] = f.Doc
		}
	}
	for _, f := range p.Funcs {
		docs[f.Name] = f.Doc
	}
	quoted := regexp.MustCompile(`"([a-z_]+)"`)
	constant := regexp.MustCompile(`\bCheck[A-Z]\w*`)
	names["CheckOf"], names["CheckRules"] = true, true // the functions
	for _, name := range []string{"TokenError", "PolicyError", "Decision", "CheckOf", "Check"} {
		text, ok := docs[name]
		if !ok {
			t.Fatalf("no doc for %s", name)
		}
		for _, m := range quoted.FindAllStringSubmatch(text, -1) {
			if values[m[1]] {
				t.Errorf("%s's doc names the check %q as a string: name its constant", name, m[1])
			}
		}
		for _, m := range constant.FindAllString(text, -1) {
			if !names[m] {
				t.Errorf("%s's doc names %s, which is not a Check constant", name, m)
			}
		}
	}
	// Decision's doc sits on its field: read the source for it.
	src, err := os.ReadFile("observer.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range constant.FindAllString(string(src), -1) {
		if !names[m] {
			t.Errorf("observer.go names %s, which is not a Check constant", m)
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(readme, []byte("jwt.Err")) {
		t.Error(
			"README.md tells users to compare against golang-jwt's errors: the contract is this library's own types",
		)
	}
}

// TestRegisteredClaimOfWrongTypeIsNamedByAConstant: decodeClaims and
// decodeLogoutClaims name a registered claim of the wrong type by the
// claim's own name, converted to Check: each such name must be a constant.
func TestRegisteredClaimOfWrongTypeIsNamedByAConstant(t *testing.T) {
	values := map[Check]bool{}
	for _, c := range checkConstants(t) {
		values[Check(c.value)] = true
	}
	for _, claim := range []string{
		"iss",
		"sub",
		"jti",
		"client_id",
		"azp",
		"cnf",
		"aud",
		"exp",
		"nbf",
		"iat",
		"sid",
		"events",
	} {
		payload := []byte(`{"` + claim + `":[[1]]}`)
		for decoder, decode := range map[string]func([]byte) error{
			"decodeClaims":       func(p []byte) error { _, err := decodeClaims(p); return err },
			"decodeLogoutClaims": func(p []byte) error { _, err := decodeLogoutClaims(p); return err },
		} {
			err := decode(payload)
			if err == nil {
				continue // a claim this decoder does not read
			}
			te, ok := err.(*TokenError)
			if !ok || string(te.Check) != claim || !values[te.Check] {
				t.Errorf("%s(%s): %v, want a TokenError whose Check is the constant %q", decoder, payload, err, claim)
			}
		}
	}
}
