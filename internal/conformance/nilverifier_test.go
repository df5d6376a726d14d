package conformance_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/chiauth"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/ginauth"
	"github.com/identsphere/identsphere-go/stdauth"
)

// panicMessage runs f and returns what it panicked with, or "".
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

// A *core.Validator left nil by an unchecked core.New error, or a nil
// *core.Introspector, must be refused when the route is built, naming the
// type, as an untyped nil is; otherwise every request would panic.
func TestTypedNilVerifierIsRefusedAtConstruction(t *testing.T) {
	var v *core.Validator
	var in *core.Introspector
	cases := map[string]func(){
		"stdauth.Middleware":   func() { stdauth.Middleware(v) },
		"chiauth.Middleware":   func() { chiauth.Middleware(v) },
		"ginauth.Middleware":   func() { ginauth.Middleware(v) },
		"stdauth.RequireFresh": func() { stdauth.RequireFresh(in) },
		"chiauth.RequireFresh": func() { chiauth.RequireFresh(in) },
		"ginauth.RequireFresh": func() { ginauth.RequireFresh(in) },
	}
	for name, build := range cases {
		msg := panicMessage(build)
		want := "*core.Validator"
		if strings.Contains(name, "Fresh") {
			want = "*core.Introspector"
		}
		if !strings.Contains(msg, want) || !strings.HasPrefix(msg, "identsphere: ") {
			t.Errorf("%s with a nil %s: panic %q, want a message naming %s", name, want, msg, want)
		}
	}
	if msg := panicMessage(func() { stdauth.Middleware(nil) }); !strings.Contains(msg, "got nil") {
		t.Errorf("untyped nil: panic %q", msg)
	}
}
