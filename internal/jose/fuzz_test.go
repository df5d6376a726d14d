package jose

import (
	"encoding/json"
	"strings"
	"testing"
)

// stdObject reads data with encoding/json into its members, the reference
// for what a strict reading may accept; ok is false unless data is one
// JSON object.
func stdObject(data []byte) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	return m, json.Unmarshal(data, &m) == nil && m != nil
}

// stdString is encoding/json's reading of a member as a string.
func stdString(m map[string]json.RawMessage, name string) (string, bool) {
	var s string
	raw, ok := m[name]
	return s, ok && len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil
}

// FuzzReadHeader reads arbitrary decoded JOSE headers. Properties: it
// never panics; every refusal is an *Error about the header; an accepted
// header is a JSON object encoding/json reads, its alg is the alg member
// (a string, never empty), it names none of crit, b64, zip, enc, cty or
// nonce, its typ (if any) is one of the accepted types, and its kid is the
// kid member.
func FuzzReadHeader(f *testing.F) {
	for _, s := range []string{
		`{"alg":"RS256","kid":"k1","typ":"JWT"}`, `{"alg":"ES256","typ":"at+jwt"}`, `{"alg":"none"}`,
		`{"alg":"RS256","crit":["b64"]}`,
		`{"alg":"RS256","alg":"none"}`, `{"ALG":"RS256"}`, `{"alg":"RS256","kid":"\u006b"}`,
		`{"alg":"RS256","typ":"dpop+jwt"}`,
		`{"alg":"RS256","nonce":"x"}`, `{"alg":1}`, `[]`, `{"alg":"RS256","kid":7}`, `{"alg":"RS256","typ":"\u004aWT"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, header []byte) {
		h, err := ReadHeader(header)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Part != PartHeader {
				t.Fatalf("%q: refused with %#v", header, err)
			}
			return
		}
		m, ok := stdObject(header)
		if !ok {
			t.Fatalf("accepted %q, which encoding/json does not read as an object", header)
		}
		if alg, ok := stdString(m, "alg"); !ok || alg != h.Alg || alg == "" {
			t.Fatalf("%q: alg %q, encoding/json reads %q", header, h.Alg, alg)
		}
		for _, name := range []string{"crit", "b64", "zip", "enc", "cty", "nonce"} {
			if _, present := m[name]; present {
				t.Fatalf("%q: accepted with %s", header, name)
			}
		}
		if kid, ok := stdString(m, "kid"); ok != h.HasKID() || kid != h.KID(header) {
			t.Fatalf("%q: kid %q (%v), encoding/json reads %q (%v)", header, h.KID(header), h.HasKID(), kid, ok)
		}
		if _, hasTyp := m["typ"]; hasTyp != (h.Type != TypeNone) {
			t.Fatalf("%q: typ member %v, type %d", header, hasTyp, h.Type)
		}
	})
}

// FuzzReadProofHeader reads arbitrary encoded DPoP proof headers.
// Properties: it never panics; every refusal is an *Error about the proof;
// an accepted header is an object encoding/json reads, with typ dpop+jwt
// (any case), a non-empty alg, and a jwk object holding no private member,
// whose members are those encoding/json reads; and the thumbprint is a
// base64url SHA-256.
func FuzzReadProofHeader(f *testing.F) {
	ec := `{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",` +
		`"y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`
	for _, s := range []string{
		`{"typ":"dpop+jwt","alg":"ES256","jwk":` + ec + `}`,
		`{"typ":"dpop+jwt","alg":"RS256","jwk":` + rfc7638Key + `}`,
		`{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","d":"AA"}}`,
		`{"typ":"dpop+jwt","alg":"ES256","jwk":` + ec + `,"kid":"k"}`,
		`{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"OKP","crv":"Ed25519","x":"\u0041"}}`, `{"TYP":"dpop+jwt"}`,
	} {
		f.Add(seg(s))
	}
	f.Fuzz(func(t *testing.T, encoded string) {
		h, err := ReadProofHeader(encoded)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Part != PartProof {
				t.Fatalf("%q: refused with %#v", encoded, err)
			}
			return
		}
		header, _ := b64.DecodeString(encoded)
		m, ok := stdObject(header)
		if !ok {
			t.Fatalf("accepted %q, which encoding/json does not read as an object", header)
		}
		if typ, _ := stdString(m, "typ"); !strings.EqualFold(typ, "dpop+jwt") {
			t.Fatalf("%q: accepted with typ %q", header, typ)
		}
		if alg, _ := stdString(m, "alg"); alg == "" || alg != h.Alg {
			t.Fatalf("%q: alg %q, encoding/json reads %q", header, h.Alg, alg)
		}
		jwk, ok := stdObject(h.JWK)
		if !ok {
			t.Fatalf("%q: jwk %q is not an object", header, h.JWK)
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
			if _, present := jwk[private]; present {
				t.Fatalf("%q: accepted a jwk with %s", header, private)
			}
		}
		for name, got := range map[string][]byte{
			"kty": h.Key.Kty,
			"crv": h.Key.Crv,
			"x":   h.Key.X,
			"y":   h.Key.Y,
			"n":   h.Key.N,
			"e":   h.Key.E,
		} {
			if want, _ := stdString(jwk, name); want != string(got) {
				t.Fatalf("%q: %s %q, encoding/json reads %q", header, name, got, want)
			}
		}
		if tp, err := b64.DecodeString(h.Key.Thumbprint()); err != nil || len(tp) != 32 {
			t.Fatalf("%q: thumbprint %q is not a base64url SHA-256", header, h.Key.Thumbprint())
		}
	})
}

// FuzzReadProofClaims reads arbitrary proof payloads. Properties: it never
// panics; every refusal is an *Error about the proof; accepted claims are
// an object encoding/json reads, whose jti, htm, htu, ath and nonce are
// exactly the string members encoding/json reads (jti at most 256 bytes,
// none of the required ones empty) and whose iat is set.
func FuzzReadProofClaims(f *testing.F) {
	for _, s := range []string{
		`{"jti":"j","htm":"GET","htu":"https://a/b","iat":1700000000,"ath":"h"}`,
		`{"jti":"j\u0031","htm":"GET","htu":"u","iat":1.5,"ath":"h","nonce":"n"}`,
		`{"jti":"j","htm":"GET","htu":"u","iat":1,"ath":"h","jti":"k"}`,
		`{"jti":"j","htm":"GET","htu":"u","iat":1e300,"ath":"h"}`,
		`{"JTI":"j","htm":"GET","htu":"u","iat":1,"ath":"h"}`, `{}`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		pc, err := readProofClaims(payload)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Part != PartProof {
				t.Fatalf("%q: refused with %#v", payload, err)
			}
			return
		}
		m, ok := stdObject(payload)
		if !ok {
			t.Fatalf("accepted %q, which encoding/json does not read as an object", payload)
		}
		for name, got := range map[string]string{
			"jti":   pc.JTI,
			"htm":   pc.HTM,
			"htu":   pc.HTU,
			"ath":   pc.ATH,
			"nonce": pc.Nonce,
		} {
			if want, _ := stdString(m, name); want != got {
				t.Fatalf("%q: %s %q, encoding/json reads %q", payload, name, got, want)
			}
		}
		if pc.JTI == "" || len(pc.JTI) > maxProofJTI || pc.HTM == "" || pc.HTU == "" || pc.ATH == "" ||
			pc.IAT.IsZero() {
			t.Fatalf("%q: accepted incomplete claims %+v", payload, pc)
		}
	})
}
