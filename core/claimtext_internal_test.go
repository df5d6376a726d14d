package core

import (
	"testing"
	"unsafe"
)

// The string claims of one token share one copy of its claims JSON, are
// unescaped where they hold escapes, and never change when the JSON does.
func TestClaimTextSharesOneCopy(t *testing.T) {
	payload := []byte(`{"iss":"https://issuer.example","sub":"user-1","org":"a\u00e9b","aud":["api","web"],` +
		`"scope":"read write","email":""}`)
	c, err := decodeClaims(payload)
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != "https://issuer.example" || c.Subject != "user-1" || c.Org != "aéb" || c.Email != "" {
		t.Fatalf("claims %q %q %q %q", c.Issuer, c.Subject, c.Org, c.Email)
	}
	if len(c.Audience) != 2 || c.Audience[0] != "api" || c.Audience[1] != "web" {
		t.Fatalf("aud %q", c.Audience)
	}
	if len(c.Scopes) != 2 || c.Scopes[0] != "read" || c.Scopes[1] != "write" {
		t.Fatalf("scopes %q", c.Scopes)
	}
	// iss and sub lie in one string: sub starts where the copy says.
	iss, sub := unsafe.StringData(c.Issuer), unsafe.StringData(c.Subject)
	if want := unsafe.Add(unsafe.Pointer(iss), len(`https://issuer.example","sub":"`)); unsafe.Pointer(sub) != want {
		t.Error("iss and sub are not substrings of one copy of the claims JSON")
	}
	if unsafe.Pointer(iss) == unsafe.Pointer(&payload[8]) {
		t.Error("iss is a view of the claims JSON's own bytes, not of a copy")
	}
	for i := range payload { // a caller that reuses the buffer changes no claim
		payload[i] = 'x'
	}
	if c.Issuer != "https://issuer.example" || c.Subject != "user-1" || c.Audience[1] != "web" {
		t.Fatalf("claims changed with the JSON: %q %q %q", c.Issuer, c.Subject, c.Audience)
	}
}

// A raw value that is not a slice of the claims JSON is still read right:
// the bytes at the offset its capacity suggests are compared first.
func TestClaimTextValueFromElsewhere(t *testing.T) {
	text := claimText{json: []byte(`{"a":"zzzz","b":"abcd"}`)}
	for _, raw := range []string{`"abcd"`, `"zzzz"`, `"other"`, `"a\nb"`} {
		want := map[string]string{`"abcd"`: "abcd", `"zzzz"`: "zzzz", `"other"`: "other", `"a\nb"`: "a\nb"}[raw]
		b := make([]byte, len(raw), 18) // its content's capacity points at "zzzz" in text.json
		copy(b, raw)
		got, ok := text.str(b[:len(raw)])
		if !ok || got != want {
			t.Errorf("str(%s) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for _, raw := range []string{`1`, `null`, `["a"]`, `"`} {
		if got, ok := text.str([]byte(raw)); ok {
			t.Errorf("str(%s) = %q, want a refusal", raw, got)
		}
	}
}

// A scope string of spaces alone grants nothing and leaves Scopes nil, as
// an absent scope does; words are split on single spaces.
func TestScopeStringOfSpaces(t *testing.T) {
	for payload, want := range map[string][]string{
		`{"scope":""}`:              nil,
		`{"scope":"   "}`:           nil,
		`{"scope":" read  write "}`: {"read", "write"},
		`{"scope":"a b","scp":"c"}`: {"a", "b", "c"},
	} {
		c, err := decodeClaims([]byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		if (c.Scopes == nil) != (want == nil) || len(c.Scopes) != len(want) {
			t.Errorf("%s: scopes %#v, want %#v", payload, c.Scopes, want)
			continue
		}
		for i := range want {
			if c.Scopes[i] != want[i] {
				t.Errorf("%s: scopes %q, want %q", payload, c.Scopes, want)
			}
		}
	}
}
