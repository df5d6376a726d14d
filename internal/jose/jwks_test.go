package jose

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/internal/testkeys"
)

func jwksSeedKeys() []string {
	b64 := base64.RawURLEncoding.EncodeToString
	rsaKey := testkeys.RSA()
	ec := testkeys.EC()
	n := b64(rsaKey.N.Bytes())
	return []string{
		`{"kty":"RSA","kid":"r","use":"sig","alg":"RS256","n":"` + n + `","e":"AQAB"}`,
		`{"kty":"RSA","kid":"o","key_ops":["verify"],"n":"` + n + `","e":"AQAB"}`,
		`{"kty":"RSA","kid":"enc","use":"enc","n":"` + n + `","e":"AQAB"}`,
		`{"kty":"RSA","kid":"d","use":"enc","use":"sig","n":"` + n + `","e":"AQAB"}`,
		`{"kty":"RSA","kid":"e1","n":"` + n + `","e":"AQ"}`,
		`{"kty":"EC","crv":"P-256","kid":"e","x":"` + b64(
			ec.X.FillBytes(make([]byte, 32)),
		) + `","y":"` + b64(
			ec.Y.FillBytes(make([]byte, 32)),
		) + `"}`,
		`{"kty":"EC","crv":"P-256","kid":"z","x":"` + b64(make([]byte, 32)) + `","y":"` + b64(make([]byte, 32)) + `"}`,
		`{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"` + b64(testkeys.Ed25519().Public().(ed25519.PublicKey)) + `"}`,
		`{"kty":"OKP","crv":"Ed25519","kid":"id","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`,
		`{"kty":"oct","kid":"h","k":"c2VjcmV0"}`,
		`{"kty":"RSA","kid":"x","n":"` + n + `","e":"AQAB","x5c":["bm90IGEgY2VydA=="]}`,
		`{"kty":"XYZ"}`, `null`, `1`, `"s"`, `[]`, `{}`,
	}
}

// FuzzParseJWKS reads arbitrary bodies as a JWKS. Properties: it never
// panics; a set is at most maxJWKSKeys keys; every usable key has a public
// key that passes the key checks and fits an algorithm, and nothing else is
// usable; and reading the same body twice gives the same verdicts, so that a
// refused key is logged once and not on every refresh.
func FuzzParseJWKS(f *testing.F) {
	seeds := jwksSeedKeys()
	f.Add(`{"keys":[` + strings.Join(seeds, ",") + `]}`)
	for _, k := range seeds {
		f.Add(`{"keys":[` + k + `]}`)
	}
	for _, s := range []string{
		`{"keys":[]}`,
		`{"keys":null}`,
		`{}`,
		`null`,
		`{"keys":[]} x`,
		`{"keys":[],"keys":[]}`,
		`[`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		keys, err := ParseJWKS([]byte(body))
		if err != nil {
			if keys != nil {
				t.Fatal("keys returned with an error")
			}
			return
		}
		if len(keys) > maxJWKSKeys {
			t.Fatalf("%d keys, cap %d", len(keys), maxJWKSKeys)
		}
		again, _ := ParseJWKS([]byte(body))
		for i := range keys {
			k := &keys[i]
			if k.Reason() != again[i].Reason() || k.KID != again[i].KID {
				t.Fatalf("key %d: %q then %q", i, k.Reason(), again[i].Reason())
			}
			if k.Reject != "" {
				continue
			}
			if k.Public == nil || k.JWK.Key() == nil {
				t.Fatalf("usable key %d without a key", i)
			}
			if r := new(KeyChecks).Check(k.Public); r != "" {
				t.Fatalf("usable key %d fails the checks: %s", i, r)
			}
			if !k.fitsAny() {
				t.Fatalf("usable key %d fits no algorithm", i)
			}
		}
	})
}

// BenchmarkParseJWKS measures reading a set per byte: a typical set, the
// largest set accepted, and a hostile 1 MiB key with tens of thousands of
// members. The cost per byte stays flat: parsing is linear in the size.
func BenchmarkParseJWKS(b *testing.B) {
	seeds := jwksSeedKeys()
	var hundred []string
	for i := range maxJWKSKeys {
		hundred = append(hundred, strings.Replace(seeds[0], `"kid":"r"`, fmt.Sprintf(`"kid":"r%d"`, i), 1))
	}
	var members strings.Builder
	for i := 0; members.Len() < 1<<20-64; i++ {
		fmt.Fprintf(&members, `"m%d":[{"a":1}],`, i)
	}
	for name, body := range map[string]string{
		"typical":         `{"keys":[` + seeds[0] + `,` + seeds[5] + `,` + seeds[7] + `]}`,
		"100 keys":        `{"keys":[` + strings.Join(hundred, ",") + `]}`,
		"1MiB of members": `{"keys":[{` + members.String() + `"kty":"XYZ"}]}`,
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := ParseJWKS([]byte(body)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A JWKS is read as strictly as a token (internal/strictjson): invalid
// UTF-8 is no JSON at all (RFC 8259 section 8.1), and replacing it, as
// encoding/json does, would make two different kids one ("\xff" and "\xfe"
// both U+FFFD); nesting past the reader's depth is refused too. Either
// refuses the body, as a syntax error anywhere in it always has.
func TestJWKSIsReadStrictly(t *testing.T) {
	seed := jwksSeedKeys()[0]
	deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
	for name, body := range map[string]string{
		"invalid UTF-8 in a kid":  `{"keys":[` + strings.Replace(seed, `"kid":"r"`, "\"kid\":\"\xff\"", 1) + `]}`,
		"invalid UTF-8 elsewhere": `{"keys":[` + seed + "],\"x\":\"\xfe\"}",
		"nesting past the limit":  `{"keys":[` + seed + `],"x":` + deep + `}`,
		"keys named twice":        `{"keys":[` + seed + `],"keys":[]}`,
		"keys in another case":    `{"Keys":[` + seed + `]}`,
	} {
		if keys, err := ParseJWKS([]byte(body)); err == nil {
			t.Errorf("%s: read %d keys, want the body refused", name, len(keys))
		}
	}
}
