package strictjson

import (
	"strings"
	"testing"
)

func TestMembers(t *testing.T) {
	deep := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	cases := []struct {
		name string
		in   string
		keys []string // nil: must fail
	}{
		{"empty object", `{}`, []string{}},
		{"members in order", ` {"a":1, "b":[true,false,null], "c":{"d":"e"}} `, []string{"a", "b", "c"}},
		{"escaped key is unescaped", `{"\u0069ss":"x"}`, []string{"iss"}},
		{"case variants are distinct keys", `{"iss":"a","ISS":"b"}`, []string{"iss", "ISS"}},
		{"duplicate key", `{"sub":"a","sub":"b"}`, nil},
		{"duplicate hidden by escaping", `{"sub":"a","\u0073ub":"b"}`, nil},
		{"array at top level", `["a"]`, nil},
		{"null", `null`, nil},
		{"trailing garbage", `{"a":1}x`, nil},
		{"two objects", `{"a":1}{"b":2}`, nil},
		{"trailing comma", `{"a":1,}`, nil},
		{"unquoted key", `{a:1}`, nil},
		{"single quotes", `{'a':1}`, nil},
		{"leading zero", `{"a":01}`, nil},
		{"bare minus", `{"a":-}`, nil},
		{"fraction without digits", `{"a":1.}`, nil},
		{"exponent without digits", `{"a":1e}`, nil},
		{"NaN", `{"a":NaN}`, nil},
		{"bad escape", `{"a":"\x"}`, nil},
		{"short unicode escape", `{"a":"\u12"}`, nil},
		{"raw control character", "{\"a\":\"\x01\"}", nil},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", nil},
		{"unterminated string", `{"a":"b}`, nil},
		{"unterminated object", `{"a":1`, nil},
		{"nesting too deep", `{"a":` + deep + `}`, nil},
		{
			"an empty container one level too deep",
			`{"a":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`,
			nil,
		},
		{"an empty object one level too deep", `{"a":` + strings.Repeat(`{"a":`, maxDepth-1) + `{}` +
			strings.Repeat("}", maxDepth-1) + `}`, nil},
		{
			"nesting at the limit",
			`{"a":` + strings.Repeat("[", maxDepth-1) + strings.Repeat("]", maxDepth-1) + `}`,
			[]string{"a"},
		},
		{"truncated literal", `{"a":tru}`, nil},
		{"empty input", ``, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := Members([]byte(tc.in), func(k, v []byte) error {
				got = append(got, string(k))
				return nil
			})
			if tc.keys == nil {
				if err == nil {
					t.Fatalf("accepted %q, want an error", tc.in)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused %q: %v", tc.in, err)
			}
			if strings.Join(got, ",") != strings.Join(tc.keys, ",") {
				t.Fatalf("keys %q, want %q", got, tc.keys)
			}
		})
	}
}

func TestSeconds(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0", 0, true},
		{"1700000000", 1700000000, true},
		{"1700000000.5", 1700000000.5, true},
		{"1.7e9", 1.7e9, true},
		{"253402300799", 253402300799, true},
		{"253402300800", 0, false},
		{"1e300", 0, false},
		{"-1e300", 0, false},
		{"-1", 0, false},
		{`"1700000000"`, 0, false},
		{"true", 0, false},
		{"null", 0, false},
	}
	for _, tc := range cases {
		got, ok := Seconds([]byte(tc.in))
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("Seconds(%s) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
