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

// hostileHeaders are the decoded JOSE headers of core's hostile tokens
// (internal/authcases.HostileTokens), each as large as a header can be
// (1,536 bytes) and read as a header is: with a cap of 32 members. They
// isolate the reader's share of refusing those tokens (core's
// BenchmarkRefuseHostile), without the base64 decoding and the noise of a
// whole verification.
func hostileHeaders() map[string][]byte {
	const size = 1536
	fill := func(prefix, unit, suffix string) []byte {
		n := (size - len(prefix) - len(suffix)) / len(unit)
		return []byte(prefix + strings.Repeat(unit, n) + suffix)
	}
	var members strings.Builder
	members.WriteString(`{"alg":"RS256"`)
	for i := 0; members.Len() < size-64; i++ {
		fmt.Fprintf(&members, `,"%c%c":0`, 'a'+i/26%26, 'a'+i%26)
	}
	const crit = `,"crit":["exp"]}`
	nest := strings.Repeat("[", 30) + strings.Repeat("]", 30) + ","
	return map[string][]byte{
		"short members":     []byte(members.String() + "}"),
		"escaped duplicate": fill(`{"alg":"RS256"`, `,"\u0061":0`, "}"),
		"long string":       fill(`{"alg":"RS256","x":"`, "a", `"`+crit),
		"escaped string":    fill(`{"alg":"RS256","x":"`, `\u0061`, `"`+crit),
		"whitespace":        fill(`{"alg":"RS256"`, " ", crit),
		"long array":        fill(`{"alg":"RS256","x":[0`, ",0", "]"+crit),
		"deep nesting":      fill(`{"alg":"RS256","x":[`, nest, "0]"+crit),
		"long number":       fill(`{"alg":"RS256","x":1`, "0", crit),
	}
}

func BenchmarkHostileHeader(b *testing.B) {
	for name, in := range hostileHeaders() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				it := NewIter(in, 32)
				for _, _, ok := it.Next(); ok; _, _, ok = it.Next() {
				}
			}
		})
	}
}

// TestEscapedNamesCostOneBuffer: unescaped names share one buffer, so a
// header whose names are all escaped allocates twice (the buffer and its
// holder), not once or more per name.
func TestEscapedNamesCostOneBuffer(t *testing.T) {
	header := []byte(`{"\u0061lg":"RS256","k\u0069d":"k","\u0074yp":"JWT","x":"\u0061"}`)
	var names []string
	if n := testing.AllocsPerRun(10, func() {
		names = names[:0]
		it := NewIter(header, 32)
		for key, _, ok := it.Next(); ok; key, _, ok = it.Next() {
			if string(key) == "alg" || string(key) == "kid" || string(key) == "typ" {
				names = append(names, "")
			}
		}
		if it.Err() != nil {
			t.Fatal(it.Err())
		}
	}); n != 2 || len(names) != 3 {
		t.Errorf("%v allocations, %d names unescaped", n, len(names))
	}
}
