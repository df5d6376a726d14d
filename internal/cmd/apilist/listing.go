package main

import (
	"bytes"
	"fmt"
	"go/constant"
	"go/types"
	"slices"
	"strings"
)

// listing is the public API of one package.
type listing struct {
	path  string   // import path
	rel   string   // import path below the module: "core", "revocation/redisstore"
	lines []string // sorted, one per exported identifier, field or method
}

// moduleListings lists the public API of every public package of the module
// in dir, sorted by import path.
func moduleListings(dir string) ([]listing, error) {
	pkgs, err := listPackages(dir)
	if err != nil {
		return nil, err
	}
	module, err := mainModule(pkgs)
	if err != nil {
		return nil, err
	}
	imp := exportImporter(pkgs)
	var listings []listing
	for _, p := range pkgs {
		if !isPublic(p, module) {
			continue
		}
		tp, err := imp.Import(p.ImportPath)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p.ImportPath, err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if rel == "" {
			rel = tp.Name()
		}
		listings = append(listings, listing{path: p.ImportPath, rel: rel, lines: apiLines(tp)})
	}
	slices.SortFunc(listings, func(a, b listing) int { return strings.Compare(a.path, b.path) })
	return listings, nil
}

// mainModule is the module of the packages ./... matched.
func mainModule(pkgs []goPackage) (string, error) {
	for _, p := range pkgs {
		if !p.DepOnly && p.Module != nil {
			return p.Module.Path, nil
		}
	}
	return "", fmt.Errorf("go list matched no package of a module")
}

// apiLines lists the exported identifiers of pkg, sorted. The format follows
// the Go project's api/ files, so a reader of one reads the other:
//
//	const DefaultLeeway time.Duration = 30000000000
//	func New(ctx context.Context, cfg Config) (*Validator, error)
//	method (*Validator) Close()
//	type Config struct
//	type Config struct, Issuer string
//	type Option interface, unexported methods
//	var ErrKeysUnavailable error
//
// Types of pkg are written unqualified, others by package name.
func apiLines(pkg *types.Package) []string {
	qualifier := func(p *types.Package) string {
		if p == pkg {
			return ""
		}
		return p.Name()
	}
	w := apiWriter{qualifier: qualifier}
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		if obj := scope.Lookup(name); obj.Exported() {
			w.object(obj)
		}
	}
	slices.Sort(w.lines)
	return slices.Compact(w.lines)
}

// apiWriter collects the lines of one package.
type apiWriter struct {
	qualifier types.Qualifier
	lines     []string
}

func (w *apiWriter) add(format string, args ...any) {
	w.lines = append(w.lines, fmt.Sprintf(format, args...))
}

func (w *apiWriter) typ(t types.Type) string { return types.TypeString(t, w.qualifier) }

func (w *apiWriter) object(obj types.Object) {
	switch obj := obj.(type) {
	case *types.Const:
		w.add("const %s %s = %s", obj.Name(), w.typ(obj.Type()), constValue(obj.Val()))
	case *types.Var:
		w.add("var %s %s", obj.Name(), w.typ(obj.Type()))
	case *types.Func:
		w.add("func %s%s", obj.Name(), w.signature(obj.Type().(*types.Signature)))
	case *types.TypeName:
		w.typeName(obj)
	}
}

// constValue writes a constant exactly (no rounding of floats, quoted strings).
func constValue(v constant.Value) string {
	if v.Kind() == constant.Float {
		return v.ExactString()
	}
	return v.String()
}

// signature is a function's type parameters, parameters and results.
func (w *apiWriter) signature(sig *types.Signature) string {
	var b bytes.Buffer
	types.WriteSignature(&b, sig, w.qualifier)
	return b.String()
}

func (w *apiWriter) typeParams(tps *types.TypeParamList) string {
	if tps.Len() == 0 {
		return ""
	}
	params := make([]string, tps.Len())
	for i := range tps.Len() {
		tp := tps.At(i)
		params[i] = tp.Obj().Name() + " " + w.typ(tp.Constraint())
	}
	return "[" + strings.Join(params, ", ") + "]"
}

// typeName writes a type's declaration, then its exported fields or
// interface methods, then its exported methods, each on a line of its own.
func (w *apiWriter) typeName(obj *types.TypeName) {
	if obj.IsAlias() {
		w.add("type %s = %s", obj.Name(), w.typ(types.Unalias(obj.Type())))
		return
	}
	named, ok := obj.Type().(*types.Named)
	if !ok {
		w.add("type %s %s", obj.Name(), w.typ(obj.Type()))
		return
	}
	decl := obj.Name() + w.typeParams(named.TypeParams())
	switch u := named.Underlying().(type) {
	case *types.Struct:
		w.structType(decl, u)
	case *types.Interface:
		w.interfaceType(decl, u)
	default:
		w.add("type %s %s", decl, w.typ(u))
	}
	w.methods(named)
}

func (w *apiWriter) structType(decl string, s *types.Struct) {
	w.add("type %s struct", decl)
	for i := range s.NumFields() {
		f := s.Field(i)
		switch {
		case f.Embedded():
			w.add("type %s struct, embedded %s", decl, w.typ(f.Type()))
		case f.Exported():
			w.add("type %s struct, %s %s", decl, f.Name(), w.typ(f.Type()))
		}
	}
}

// interfaceType lists the interface's whole method set, embedded
// interfaces' methods included; an interface that others cannot implement
// (an unexported method) says so.
func (w *apiWriter) interfaceType(decl string, it *types.Interface) {
	w.add("type %s interface", decl)
	for i := range it.NumMethods() {
		m := it.Method(i)
		if m.Exported() {
			w.add("type %s interface, %s%s", decl, m.Name(), w.signature(m.Type().(*types.Signature)))
		} else {
			w.add("type %s interface, unexported methods", decl)
		}
	}
	for i := range it.NumEmbeddeds() {
		if _, isIface := it.EmbeddedType(i).Underlying().(*types.Interface); !isIface {
			w.add("type %s interface, constraint %s", decl, w.typ(it.EmbeddedType(i)))
		}
	}
}

// methods lists the exported methods declared on named, with their receiver
// as declared: (T) or (*T).
func (w *apiWriter) methods(named *types.Named) {
	for i := range named.NumMethods() {
		m := named.Method(i)
		if !m.Exported() {
			continue
		}
		sig := m.Type().(*types.Signature)
		w.add("method (%s) %s%s", w.typ(sig.Recv().Type()), m.Name(), w.signature(sig))
	}
}
