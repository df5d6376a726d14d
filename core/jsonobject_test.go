package core

import (
	"strings"
	"testing"
)

func TestObjectMembers(t *testing.T) {
	deep := strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1)
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
		{"nesting at the limit", `{"a":` + strings.Repeat("[", maxJSONDepth-1) + strings.Repeat("]", maxJSONDepth-1) + `}`, []string{"a"}},
		{"truncated literal", `{"a":tru}`, nil},
		{"empty input", ``, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := objectMembers([]byte(tc.in), func(k, v []byte) error {
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

func TestJSONSeconds(t *testing.T) {
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
		got, ok := jsonSeconds([]byte(tc.in))
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("jsonSeconds(%s) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDecodeClaims(t *testing.T) {
	c, err := decodeClaims([]byte(`{"iss":"https://i","sub":"u1","aud":["a","b"],"exp":2000000000,"nbf":1000,"iat":1000.25,
		"jti":"j","email":"e@x","email_verified":true,"org":"o","scope":"read  write","scp":["admin","read"],"ISS":"evil"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != "https://i" || c.Subject != "u1" || c.ID != "j" || c.Email != "e@x" || c.Org != "o" {
		t.Errorf("strings: %+v", c)
	}
	if strings.Join(c.Audience, ",") != "a,b" {
		t.Errorf("aud %q", c.Audience)
	}
	if c.ExpiresAt.Unix() != 2000000000 || c.NotBefore.Unix() != 1000 || c.IssuedAt.UnixMilli() != 1000250 {
		t.Errorf("times: %v %v %v", c.ExpiresAt, c.NotBefore, c.IssuedAt)
	}
	if c.EmailVerified == nil || !*c.EmailVerified {
		t.Errorf("email_verified %v", c.EmailVerified)
	}
	if strings.Join(c.Scopes, ",") != "read,write,admin" {
		t.Errorf("scopes %q", c.Scopes)
	}
	if !c.HasScope("admin") || c.HasScope("adm") || c.HasScope("read write") {
		t.Error("HasScope must match whole words only")
	}
	var extra struct {
		Org string `json:"org"`
	}
	if err := c.Decode(&extra); err != nil || extra.Org != "o" {
		t.Errorf("Decode: %v %+v", err, extra)
	}

	for name, payload := range map[string]string{
		"exp string":        `{"exp":"2000000000"}`,
		"exp huge":          `{"exp":1e300}`,
		"aud number member": `{"aud":["a",1]}`,
		"aud object":        `{"aud":{}}`,
		"sub number":        `{"sub":1}`,
		"iss null":          `{"iss":null}`,
		"duplicate sub":     `{"sub":"a","sub":"b"}`,
		"array payload":     `[{"sub":"a"}]`,
	} {
		if _, err := decodeClaims([]byte(payload)); err == nil {
			t.Errorf("%s: accepted %s", name, payload)
		}
	}

	for name, payload := range map[string]string{
		"string true": `{"email_verified":"true"}`,
		"number one":  `{"email_verified":1}`,
		"absent":      `{}`,
	} {
		c, err := decodeClaims([]byte(payload))
		if err != nil || c.EmailVerified != nil {
			t.Errorf("%s: EmailVerified = %v, err %v; want nil", name, c.EmailVerified, err)
		}
	}
}
