package core

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/internal/strictjson"
)

// fuzzClaimsSeeds are claims sets, well formed and hostile (the strict
// reader's own seeds, for its grammar, are in internal/strictjson).
var fuzzClaimsSeeds = []string{
	`{"iss":"https://id.example.com","sub":"user-1","aud":["orders-api","x"],"exp":4102444800,"nbf":0,` +
		`"iat":1735689600.25,` +
		`"jti":"j","email":"a@example.com","email_verified":true,"org":"o","scope":"read  write","scp":["admin"]}`,
	` { "iss" : "a" , "ISS" : "b" } `, `{}`, `{"sub":"a","sub":"b"}`, `{"sub":"a","\u0073ub":"b"}`, `{"a":1}x`, `null`,
	`{"exp":1e300}`, `{"exp":-1}`, `{"exp":253402300799}`, `{"exp":253402300800}`, `{"exp":"1"}`, `{"exp":1.5e9}`,
	`{"aud":[]}`, `{"aud":["a",1]}`, `{"aud":[null]}`, `{"aud":{}}`, `{"email_verified":"true"}`, `{"scp":"a b"}`,
	"{\"iss\":\"\xff\"}", `{"sub":"` + strings.Repeat("x", 300) + `"}`,
}

// FuzzDecodeClaims checks that the claims a payload yields are the values
// of exactly those members, as encoding/json reads them (the raw values as the strict reader hands them out), and that
// a refused payload gets a TokenError naming the claim or "claims". Properties: it
// never panics; it accepts nothing the strict reader refuses; iss, sub and jti
// are the strings of those exact keys (never of "ISS" or the like); aud is
// the string or the list of strings; exp, nbf and iat are the NumericDate to
// the second; email_verified is set only for a JSON boolean.
func FuzzDecodeClaims(f *testing.F) {
	for _, s := range fuzzClaimsSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		c, err := decodeClaims(payload)
		if err != nil {
			te, ok := err.(*TokenError)
			if !ok ||
				!slices.Contains(
					[]Check{
						CheckClaims,
						CheckIss,
						CheckSub,
						CheckJTI,
						CheckClientID,
						CheckAzp,
						CheckCnf,
						CheckAud,
						CheckExp,
						CheckNbf,
						CheckIat,
					},
					te.Check,
				) {
				t.Fatalf("error %#v", err)
			}
			return
		}
		members, err := strictjson.MemberMap(payload) // itself held to encoding/json by strictjson's fuzz targets
		if err != nil {
			t.Fatalf("accepted %q, which is not a strict JSON object: %v", payload, err)
		}
		member := func(name string) ([]byte, bool) {
			v, ok := members[name]
			return v, ok
		}
		for name, got := range map[string]string{"iss": c.Issuer, "sub": c.Subject, "jti": c.ID} {
			want := ""
			if raw, ok := member(name); ok && json.Unmarshal(raw, &want) != nil {
				t.Fatalf("%s %q from a member encoding/json cannot read as a string: %s", name, got, raw)
			}
			if got != want {
				t.Fatalf("%s %q, want %q in %q", name, got, want, payload)
			}
		}
		if raw, ok := member("aud"); ok {
			var one string
			var list []string
			switch {
			case json.Unmarshal(raw, &one) == nil && raw[0] == '"':
				list = []string{one}
			case json.Unmarshal(raw, &list) != nil:
				t.Fatalf("aud %q from %s", c.Audience, raw)
			}
			if !slices.Equal(c.Audience, list) {
				t.Fatalf("aud %q, want %q", c.Audience, list)
			}
		} else if len(c.Audience) != 0 {
			t.Fatalf("aud %q without an aud member", c.Audience)
		}
		for name, got := range map[string]int64{
			"exp": c.ExpiresAt.Unix(),
			"nbf": c.NotBefore.Unix(),
			"iat": c.IssuedAt.Unix(),
		} {
			raw, ok := member(name)
			if !ok {
				continue // checked below: the time stays zero
			}
			n, err := strconv.ParseFloat(string(raw), 64)
			if err != nil || n < 0 || n > strictjson.MaxNumericDate || got != int64(math.Trunc(n)) {
				t.Fatalf("%s %d from %s", name, got, raw)
			}
		}
		if !fuzzZeroUnlessPresent(member, "exp", c.ExpiresAt.IsZero()) ||
			!fuzzZeroUnlessPresent(member, "nbf", c.NotBefore.IsZero()) ||
			!fuzzZeroUnlessPresent(member, "iat", c.IssuedAt.IsZero()) {
			t.Fatalf("a time claim is set without its member in %q", payload)
		}
		raw, _ := member("email_verified")
		switch s := string(raw); {
		case s == "true" || s == "false":
			if c.EmailVerified == nil || *c.EmailVerified != (s == "true") {
				t.Fatalf("email_verified %v from %s", c.EmailVerified, raw)
			}
		case c.EmailVerified != nil:
			t.Fatalf("email_verified %v from %q", *c.EmailVerified, raw)
		}
	})
}

func fuzzZeroUnlessPresent(member func(string) ([]byte, bool), name string, zero bool) bool {
	_, present := member(name)
	return present || zero
}
