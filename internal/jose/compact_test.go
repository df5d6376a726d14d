package jose

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

func seg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

const maxSize = 16 << 10

// manyMembers returns n distinct members, each preceded by a comma.
func manyMembers(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `,"m%d":0`, i)
	}
	return b.String()
}

// readAll reads a token as a verifier does: split, header, signature,
// then (after the signature check, skipped here) the payload.
func readAll(token string) (JWS, Header, error) {
	var buf HeaderBuffer
	t, raw, err := Split(token, maxSize, &buf)
	if err != nil {
		return t, Header{}, err
	}
	h, err := ReadHeader(raw)
	if err == nil {
		var sigBuf SignatureBuffer
		_, err = t.Signature(&sigBuf)
	}
	if err == nil {
		_, err = t.Payload()
	}
	return t, h, err
}

func TestReadCompactJWS(t *testing.T) {
	payload := seg(`{"sub":"u"}`)
	sig := seg("signature")
	tok := func(header string) string { return seg(header) + "." + payload + "." + sig }

	var buf HeaderBuffer
	_, raw, _ := Split(tok(`{"alg":"RS256","kid":"k\u0031","typ":"JWT"}`), maxSize, &buf)
	good, h, err := readAll(tok(`{"alg":"RS256","kid":"k\u0031","typ":"JWT"}`))
	if err != nil {
		t.Fatal(err)
	}
	var sigBuf SignatureBuffer
	gotSig, errSig := good.Signature(&sigBuf)
	gotPayload, errPayload := good.Payload()
	if h.Alg != "RS256" || h.KID(raw) != "k1" || string(h.RawKID(raw)) != `k\u0031` || !h.HasKID() ||
		h.Type != TypeJWT || errSig != nil || errPayload != nil || string(gotPayload) != `{"sub":"u"}` ||
		string(gotSig) != "signature" {
		t.Fatalf("read %+v %+v", good, h)
	}
	if good.SigningInput != seg(`{"alg":"RS256","kid":"k\u0031","typ":"JWT"}`)+"."+payload {
		t.Errorf("signing input %q", good.SigningInput)
	}
	if _, h, err := readAll(tok(`{"alg":"ES256"}`)); err != nil || h.HasKID() || h.Type != TypeNone {
		t.Fatalf("no kid: %+v %v", h, err)
	}
	for typ, want := range map[string]Type{
		"JWT":                TypeJWT,
		"jwt":                TypeJWT,
		"at+jwt":             TypeATJWT,
		"application/at+JWT": TypeATJWT,
		"logout+jwt":         TypeLogout,
		"\\u004aWT":          TypeJWT,
	} {
		if _, h, err := readAll(tok(`{"alg":"RS256","typ":"` + typ + `"}`)); err != nil || h.Type != want {
			t.Errorf("typ %q: %v, %v; want %v", typ, h.Type, err, want)
		}
	}
	for _, ignored := range []string{
		`"jku":"http://127.0.0.1:1/keys"`,
		`"x5u":"http://127.0.0.1:1/c"`,
		`"jwk":{"kty":"oct","k":"AA"}`,
		`"x5c":["AA"]`,
	} {
		if _, _, err := readAll(tok(`{"alg":"RS256",` + ignored + `}`)); err != nil {
			t.Errorf("%s refused: %v (key-carrying headers are ignored, not fatal)", ignored, err)
		}
	}

	cases := []struct {
		name, token string
		part        Part
	}{
		{"too large", tok(`{"alg":"RS256"}`) + strings.Repeat("A", maxSize), PartSize},
		{"two parts", seg(`{"alg":"RS256"}`) + "." + payload, PartFormat},
		{"four parts", tok(`{"alg":"RS256"}`) + ".x", PartFormat},
		{"JWE five parts", seg(`{"alg":"RSA-OAEP","enc":"A256GCM"}`) + ".a.b.c.d", PartFormat},
		{"opaque token with four dots", "a.b.c.d.e", PartFormat},
		{
			"header over the size cap",
			seg(`{"alg":"RS256","x":"`+strings.Repeat("a", maxHeaderSegment)+`"}`) + "." + payload + "." + sig,
			PartHeader,
		},
		{"header with too many members", tok(`{"alg":"RS256"` + manyMembers(maxHeaderMembers) + `}`), PartHeader},
		{
			"signature over the size cap",
			seg(`{"alg":"RS256"}`) + "." + payload + "." + strings.Repeat("A", maxSignatureSegment+1),
			PartFormat,
		},
		{"empty signature", seg(`{"alg":"none"}`) + "." + payload + ".", PartFormat},
		{"empty header", "." + payload + "." + sig, PartFormat},
		{"padding", seg(`{"alg":"RS256"}`) + "==." + payload + "." + sig, PartFormat},
		{"standard alphabet", seg(`{"alg":"RS256"}`) + "." + payload + "." + "ab+/", PartFormat},
		{"line break", seg(`{"alg":"RS256"}`) + "\n." + payload + "." + sig, PartFormat},
		{"non-canonical last char", seg(`{"alg":"RS256"}`) + "." + payload + "." + "AB", PartFormat},
		{"header not JSON", seg("not json") + "." + payload + "." + sig, PartHeader},
		{"header array", seg(`["alg","RS256"]`) + "." + payload + "." + sig, PartHeader},
		{"header trailing garbage", seg(`{"alg":"RS256"}x`) + "." + payload + "." + sig, PartHeader},
		{"no alg", tok(`{"kid":"k"}`), PartHeader},
		{"alg not string", tok(`{"alg":1}`), PartHeader},
		{"kid not string", tok(`{"alg":"RS256","kid":7}`), PartHeader},
		{"duplicate alg", tok(`{"alg":"RS256","alg":"none"}`), PartHeader},
		{"crit", tok(`{"alg":"RS256","crit":["exp"],"exp":1}`), PartHeader},
		{"b64 false", tok(`{"alg":"RS256","b64":false,"crit":["b64"]}`), PartHeader},
		{"zip", tok(`{"alg":"RS256","zip":"DEF"}`), PartHeader},
		{"nested JWT", tok(`{"alg":"RS256","cty":"JWT"}`), PartHeader},
		{"enc", tok(`{"alg":"RS256","enc":"A128GCM"}`), PartHeader},
		{"DPoP proof type", tok(`{"alg":"RS256","typ":"dpop+jwt"}`), PartHeader},
		{"security event type", tok(`{"alg":"RS256","typ":"secevent+jwt"}`), PartHeader},
		{"invalid UTF-8 header", seg("{\"alg\":\"RS256\",\"x\":\"\xff\"}") + "." + payload + "." + sig, PartHeader},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(tc.token)
			e, ok := err.(*Error)
			if !ok || e.Part != tc.part || e.Reason == "" {
				t.Fatalf("err = %#v, want an *Error about part %d", err, tc.part)
			}
			if strings.Contains(err.Error(), payload) || strings.Contains(err.Error(), sig) {
				t.Fatal("the error echoes the token")
			}
		})
	}
}

// TestReadingAHeaderDoesNotAllocate: a caller's buffer, canonical alg
// names and a kid handed out raw keep the common path free of allocations.
func TestReadingAHeaderDoesNotAllocate(t *testing.T) {
	token := seg(`{"alg":"ES256","kid":"key-1","typ":"at+jwt"}`) + "." + seg(`{}`) + "." + seg("s")
	if n := testing.AllocsPerRun(100, func() {
		var buf HeaderBuffer
		_, raw, err := Split(token, maxSize, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ReadHeader(raw); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations", n)
	}
}
