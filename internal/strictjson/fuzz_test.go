package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzJSONSeeds are the shapes of JOSE headers and claims sets, well formed
// and hostile, that the strict reader meets.
func fuzzJSONSeeds() []string {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	return []string{
		`{"alg":"RS256","kid":"rsa-1","typ":"JWT"}`,
		`{"alg":"none"}`,
		`{"alg":"HS256","typ":"JWT","crit":["exp"],"b64":false}`,
		`{"iss":"https://id.example.com","sub":"user-1","aud":["orders-api","x"],"exp":4102444800,"nbf":0,` +
			`"iat":1735689600.25,` +
			`"jti":"j","email":"a@example.com","email_verified":true,"org":"o","scope":"read  write","scp":["admin"]}`,
		` { "iss" : "a" , "ISS" : "b" } `,
		`{}`, ` {} `, `{"":""}`, `{"a":{"b":{"c":[1,-0.5e+3,true,false,null,"\"\\\/\b\f\n\r\t\u00e9"]}}}`,
		`{"sub":"a","sub":"b"}`, `{"sub":"a","\u0073ub":"b"}`, `{"a\ud800":1,"a\udfff":2}`, `{"\u0000":1,"\u0000 ":2}`,
		`{"a":1,}`, `{"a":1}x`, `{"a":1}{"b":2}`, `{a:1}`, `{'a':1}`, `{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`,
		`{"a":NaN}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", "\ufeff{}", `{"a":"b}`,
		`{"a":1`, `{"a":tru}`, `["a"]`, `null`, `"x"`, ``, ` `, `{"a":` + deep(maxDepth-1) + `}`,
		`{"a":` + deep(maxDepth+1) + `}`,
		`{"exp":1e300}`, `{"exp":-1}`, `{"exp":253402300799}`, `{"exp":253402300800}`, `{"exp":"1"}`, `{"exp":1.5e9}`,
		`{"aud":[]}`, `{"aud":["a",1]}`, `{"aud":[null]}`, `{"aud":{}}`, `{"email_verified":"true"}`, `{"scp":"a b"}`,
		"{\"a\":1,\n\t\r\"b\":2}", `{"a":[` + strings.Repeat(`{},`, 30) + `{}]}`,
		// Past maxInlineKeys the duplicate check uses a map: unique keys,
		// a late duplicate, and an escaped duplicate of an early key.
		manyKeys(maxInlineKeys+8, ""), manyKeys(maxInlineKeys+8, `,"k3":0`), manyKeys(maxInlineKeys-1, `,"\u006b0":0`),
		`{"a":[` + strings.Repeat(`[[[]],{"b":[0,{}]}],`, 20) + `0]}`,
		// Unescaping: surrogate pairs and their broken forms, and names
		// that only unescaping makes equal.
		`{"\ud83d\ude00":1,"😀 ":2,"\ude00\ud83d":3,"\ud83d\u0041":4,"\ud83d\\ude00":5}`,
		`{"😀":1,"\ud83d\ude00":2}`, `{"\ud800":1,"\udc00":2}`, `{"a":"\ud83d\\ude00\u00e9\n\/"}`,
	}
}

// manyKeys returns an object of n distinct members "k0".."k<n-1>", with
// extra spliced in before the closing brace.
func manyKeys(n int, extra string) string {
	var b strings.Builder
	b.WriteString(`{"x":0`)
	for i := range n {
		fmt.Fprintf(&b, `,"k%d":%d`, i, i)
	}
	return b.String() + extra + "}"
}

// fuzzStdMembers reads the top-level members of data with encoding/json,
// the reference: keys unescaped, values raw. ok is false unless data is a
// single valid JSON object.
func fuzzStdMembers(data []byte) (keys []string, values [][]byte, ok bool) {
	if !json.Valid(data) || !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
		return nil, nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, false
		}
		keys = append(keys, tok.(string))
		values = append(values, bytes.TrimLeft(raw, " \t\r\n"))
	}
	return keys, values, true
}

// fuzzDepth is the deepest nesting of arrays and objects in valid JSON.
func fuzzDepth(data []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// FuzzMembers checks the strict JSON reader
// against encoding/json. Properties: it never panics; when it accepts,
// encoding/json accepts the input as one object, the input is valid UTF-8,
// and the keys (unescaped) and raw values handed out are exactly those of
// encoding/json, byte for byte and in order, with no key twice; when it
// refuses valid UTF-8 that encoding/json accepts as an object, the object
// has a duplicate key or is nested deeper than the documented limit. The
// value helpers agree with encoding/json on what they accept: String,
// Strings and Seconds.
func FuzzMembers(f *testing.F) {
	for _, s := range fuzzJSONSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var keys []string
		var values [][]byte
		err := Members(data, func(k, v []byte) error {
			keys = append(keys, string(k))
			values = append(values, bytes.Clone(v))
			return nil
		})
		stdKeys, stdValues, stdOK := fuzzStdMembers(data)

		if err != nil {
			if stdOK && utf8.Valid(data) && !fuzzHasDuplicate(stdKeys) && fuzzDepth(data) <= maxDepth {
				t.Fatalf("refused %q, a valid object with unique keys and depth %d: %v", data, fuzzDepth(data), err)
			}
			return
		}
		if !stdOK {
			t.Fatalf("accepted %q, which encoding/json does not read as one object", data)
		}
		if d := fuzzDepth(data); d > maxDepth {
			t.Fatalf("accepted %q, nested %d deep", data, d)
		}
		if !utf8.Valid(data) {
			t.Fatalf("accepted invalid UTF-8 %q", data)
		}
		if fuzzHasDuplicate(keys) {
			t.Fatalf("accepted duplicate keys %q in %q", keys, data)
		}
		if !slices.Equal(keys, stdKeys) {
			t.Fatalf("keys %q, encoding/json reads %q in %q", keys, stdKeys, data)
		}
		if !slices.EqualFunc(values, stdValues, bytes.Equal) {
			t.Fatalf("values %q, encoding/json reads %q in %q", values, stdValues, data)
		}
		for _, v := range values {
			fuzzCheckValueHelpers(t, v)
		}
		fuzzCheckMemberMap(t, data, keys, values)
	})
}

func fuzzHasDuplicate(keys []string) bool {
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}

// fuzzCheckValueHelpers compares the value helpers with encoding/json on one
// well-formed raw value.
func fuzzCheckValueHelpers(t *testing.T, raw []byte) {
	t.Helper()
	var str string
	stdStr := json.Unmarshal(raw, &str) == nil && raw[0] == '"'
	if s, ok := String(raw); ok != stdStr || ok && s != str {
		t.Fatalf("String(%s) = %q, %v; encoding/json: %q, %v", raw, s, ok, str, stdStr)
	}

	var list []any
	allStrings := json.Unmarshal(raw, &list) == nil && raw[0] == '['
	var strs []string
	for _, e := range list {
		s, isString := e.(string)
		allStrings = allStrings && isString
		strs = append(strs, s)
	}
	if got, ok := Strings(raw); ok != allStrings || ok && !slices.Equal(got, strs) {
		t.Fatalf("Strings(%s) = %q, %v; encoding/json: %q, %v", raw, got, ok, strs, allStrings)
	}

	n, perr := strconv.ParseFloat(string(raw), 64)
	inRange := perr == nil && n >= 0 && n <= MaxNumericDate
	if got, ok := Seconds(raw); ok != inRange || ok && got != n {
		t.Fatalf("Seconds(%s) = %v, %v; ParseFloat: %v, %v", raw, got, ok, n, perr)
	}
}

// fuzzCheckMemberMap holds MemberMap to Members on an object Members
// accepted: the same members, no error.
func fuzzCheckMemberMap(t *testing.T, data []byte, keys []string, values [][]byte) {
	t.Helper()
	m, err := MemberMap(data)
	if err != nil || len(m) != len(keys) {
		t.Fatalf("MemberMap(%q) = %d members, %v; Members reads %d", data, len(m), err, len(keys))
	}
	for i, k := range keys {
		if !bytes.Equal(m[k], values[i]) {
			t.Fatalf("MemberMap(%q)[%q] = %q, Members reads %q", data, k, m[k], values[i])
		}
	}
}

// FuzzMemberMap: MemberMap accepts what Members accepts; it refuses with
// ErrDuplicate exactly the objects encoding/json reads with a repeated
// name (within the depth limit, in valid UTF-8), and then every repeated
// name maps to nil and every other to encoding/json's value.
func FuzzMemberMap(f *testing.F) {
	for _, s := range fuzzJSONSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := MemberMap(data)
		strictErr := Members(data, func(_, _ []byte) error { return nil })
		if (err == nil) != (strictErr == nil) {
			t.Fatalf("MemberMap(%q): %v; Members: %v", data, err, strictErr)
		}
		if !errors.Is(err, ErrDuplicate) {
			return
		}
		keys, values, ok := fuzzStdMembers(data)
		if !ok || !utf8.Valid(data) || !fuzzHasDuplicate(keys) || fuzzDepth(data) > maxDepth {
			t.Fatalf("ErrDuplicate for %q", data)
		}
		count := map[string]int{}
		for _, k := range keys {
			count[k]++
		}
		for i, k := range keys {
			want := values[i]
			if count[k] > 1 {
				want = nil
			}
			if got, present := m[k]; !present || !bytes.Equal(got, want) {
				t.Fatalf("MemberMap(%q)[%q] = %q, want %q", data, k, got, want)
			}
		}
	})
}

// FuzzFind holds the lean mode to the strict iterator: it finds every
// member the strict reading finds, the same raw value; and a member it
// finds where the strict reading finds none is in an object the strict
// reader refuses (a duplicate after it, or bad syntax after it), so a
// caller that confirms with Members never acts on it.
func FuzzFind(f *testing.F) {
	for _, seed := range []string{
		`{"aud":"api","iss":"https://a.example","sub":"u"}`,
		`{"iss":"https://a.example"}`,
		`{"sub":"u","sub":"v","iss":"https://a.example"}`,
		`{"\u0069ss":"https://a.example"}`,
		`{"a":{"iss":"https://b.example"},"iss":"https://a.example"}`,
		`{"iss":1}`,
		`{}`,
		`{"a":[1,{"b":"}"}],"iss":"x\"y"}`,
		"{\"iss\":\"\xff\"}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		lean, leanOK := Find(payload, "iss")
		strict, strictOK := findStrictly(payload, "iss")
		switch {
		case strictOK && (!leanOK || !bytes.Equal(lean, strict)):
			t.Fatalf("%q: the strict reading finds iss %q, the lean scan %q (%v)", payload, strict, lean, leanOK)
		case leanOK && !strictOK:
			if Members(payload, func(_, _ []byte) error { return nil }) == nil {
				t.Fatalf(
					"%q: the lean scan finds iss %q in an object the strict reading accepts without one",
					payload,
					lean,
				)
			}
		}
	})
}
