package strictjson

import (
	"errors"
	"slices"
	"testing"
)

func TestMemberMap(t *testing.T) {
	m, err := MemberMap([]byte(`{"kid":"a","kty":"RSA","n":"x","n":"y"}`))
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("err %v, want ErrDuplicate", err)
	}
	if string(m["kid"]) != `"a"` || m["n"] != nil {
		t.Errorf("members %q: kid must stay, the repeated n must be nil", m)
	}
	if _, err := MemberMap([]byte(`{"kid":"a","kid":"b"`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("unterminated object with a duplicate: err %v, want ErrMalformed", err)
	}
	if m, err := MemberMap([]byte(`{"a":[1],"b":{"c":2}}`)); err != nil || string(m["a"]) != `[1]` ||
		string(m["b"]) != `{"c":2}` {
		t.Errorf("MemberMap = %q, %v", m, err)
	}
	if _, err := MemberMap([]byte("{\"a\":\"\xff\"}")); !errors.Is(err, ErrMalformed) {
		t.Errorf("invalid UTF-8: err %v, want ErrMalformed", err)
	}
}

func TestArrayAndStrings(t *testing.T) {
	for in, want := range map[string][]string{
		`[]`: nil, `["a"]`: {"a"}, `["a" , "\u0062" ]`: {"a", "b"},
	} {
		got, ok := Strings([]byte(in))
		if !ok || !slices.Equal(got, want) {
			t.Errorf("Strings(%s) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{`null`, `"a"`, `["a",1]`, `[null]`, `["a"] x`, `["a",]`, `[`, ``} {
		if got, ok := Strings([]byte(in)); ok {
			t.Errorf("Strings(%s) = %q, want refused", in, got)
		}
	}
	var elems []string
	if err := Array(
		[]byte(`[{"a":1}, [2], "3", 4]`),
		func(e []byte) error { elems = append(elems, string(e)); return nil },
	); err != nil ||
		!slices.Equal(elems, []string{`{"a":1}`, `[2]`, `"3"`, `4`}) {
		t.Errorf("Array: %q, %v", elems, err)
	}
	stop := errors.New("stop")
	if err := Array([]byte(`[1,2]`), func([]byte) error { return stop }); err != stop {
		t.Errorf("Array must return fn's error, got %v", err)
	}
}

func TestFind(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{`{"aud":"api","iss":"https://a.example"}`, `"https://a.example"`, true},
		{`{"a":{"iss":"nested"},"iss":"top"}`, `"top"`, true},
		{`{"\u0069ss":"escaped name"}`, `"escaped name"`, true},
		{`{"ISS":"case"}`, ``, false},
		{`{"iss":1}`, `1`, true},
		{`{"a":01,"iss":"x"}`, ``, false}, // bad grammar before the member
		{"{\"iss\":\"\xff\"}", ``, false},
		{
			`{"sub":"a","\u0073ub":"b","iss":"x"}`,
			``,
			false,
		}, // an escaped name: the strict reading refuses the duplicate
		{`[]`, ``, false},
	}
	for _, tc := range cases {
		got, ok := Find([]byte(tc.in), "iss")
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("Find(%s) = %s, %v; want %s, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
