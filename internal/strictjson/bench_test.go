package strictjson

import (
	"fmt"
	"strings"
	"testing"
)

// benchInputs are a typical JOSE header and claims set, and hostile objects
// of 1 MiB: many members (past the inline duplicate check), deep nesting
// repeated, and long strings. The cost per byte stays flat: the reader is
// linear in its input whatever its shape.
func benchInputs() map[string][]byte {
	var members, nested strings.Builder
	members.WriteString("{")
	for i := 0; members.Len() < 1<<20-64; i++ {
		fmt.Fprintf(&members, `"m%d":[{"a":1}],`, i)
	}
	members.WriteString(`"iss":"x"}`)
	nested.WriteString(`{"a":[`)
	for nested.Len() < 1<<20-128 {
		nested.WriteString(strings.Repeat("[", maxDepth-2) + strings.Repeat("]", maxDepth-2) + ",")
	}
	nested.WriteString(`0],"iss":"x"}`)
	return map[string][]byte{
		"header": []byte(`{"alg":"RS256","kid":"rsa-1","typ":"at+jwt"}`),
		"claims": []byte(
			`{"iss":"https://id.example.com","sub":"user-1","aud":["orders-api"],"exp":4102444800,` +
				`"iat":1735689600,"jti":"j","scope":"read write"}`,
		),
		"1MiB of members": []byte(members.String()),
		"1MiB of nesting": []byte(nested.String()),
		"1MiB string":     []byte(`{"a":"` + strings.Repeat("x", 1<<20) + `","iss":"x"}`),
	}
}

func BenchmarkMembers(b *testing.B) {
	for name, in := range benchInputs() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if err := Members(in, func(_, _ []byte) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFind is the lean mode over the same inputs: no allocation, and
// the same flat cost per byte.
func BenchmarkFind(b *testing.B) {
	for name, in := range benchInputs() {
		if name == "header" {
			continue
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, ok := Find(in, "iss"); !ok {
					b.Fatal("no iss")
				}
			}
		})
	}
}

// TestFindDoesNotAllocate: the lean mode allocates nothing on names without
// escapes, however many members precede the one it finds.
func TestFindDoesNotAllocate(t *testing.T) {
	in := benchInputs()["1MiB of members"]
	if n := testing.AllocsPerRun(3, func() { Find(in, "iss") }); n != 0 {
		t.Errorf("Find allocates %v times", n)
	}
	header := benchInputs()["header"]
	if n := testing.AllocsPerRun(10, func() {
		it := NewIter(header, 32)
		for _, _, ok := it.Next(); ok; _, _, ok = it.Next() {
		}
	}); n != 0 {
		t.Errorf("Iter over a header allocates %v times", n)
	}
}
