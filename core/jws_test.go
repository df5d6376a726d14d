package core

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func seg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// parseAll parses a token as Verify does: the header, then the signature,
// then (after the signature check, skipped here) the payload.
func parseAll(token string) (jws, error) {
	t, err := parseJWS(token, DefaultMaxTokenSize, kidIndex{})
	if err == nil {
		_, err = t.decodeSignature()
	}
	if err == nil {
		_, err = t.decodePayload()
	}
	return t, err
}

// manyMembers returns n distinct members, each preceded by a comma.
func manyMembers(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `,"m%d":0`, i)
	}
	return b.String()
}

func TestParseJWS(t *testing.T) {
	payload := seg(`{"sub":"u"}`)
	sig := seg("signature")
	tok := func(header string) string { return seg(header) + "." + payload + "." + sig }

	good, err := parseJWS(tok(`{"alg":"RS256","kid":"k1","typ":"JWT"}`), DefaultMaxTokenSize, kidIndex{})
	if err != nil {
		t.Fatal(err)
	}
	gotSig, errSig := good.decodeSignature()
	gotPayload, errPayload := good.decodePayload()
	if good.alg != "RS256" || good.kid != "k1" || !good.hasKID || errSig != nil || errPayload != nil || string(gotPayload) != `{"sub":"u"}` || string(gotSig) != "signature" {
		t.Fatalf("parsed %+v", good)
	}
	if noKID, err := parseJWS(tok(`{"alg":"ES256"}`), DefaultMaxTokenSize, kidIndex{}); err != nil || noKID.hasKID {
		t.Fatalf("no kid: %+v %v", noKID, err)
	}
	for _, typ := range []string{"JWT", "jwt", "at+jwt", "application/at+JWT"} {
		if _, err := parseJWS(tok(`{"alg":"RS256","typ":"`+typ+`"}`), DefaultMaxTokenSize, kidIndex{}); err != nil {
			t.Errorf("typ %q refused: %v", typ, err)
		}
	}
	for _, ignored := range []string{`"jku":"http://127.0.0.1:1/keys"`, `"x5u":"http://127.0.0.1:1/c"`, `"jwk":{"kty":"oct","k":"AA"}`, `"x5c":["AA"]`} {
		if _, err := parseJWS(tok(`{"alg":"RS256",`+ignored+`}`), DefaultMaxTokenSize, kidIndex{}); err != nil {
			t.Errorf("%s refused: %v (key-carrying headers are ignored, not fatal)", ignored, err)
		}
	}

	cases := []struct {
		name, token, check string
	}{
		{"too large", tok(`{"alg":"RS256"}`) + strings.Repeat("A", DefaultMaxTokenSize), "size"},
		{"two parts", seg(`{"alg":"RS256"}`) + "." + payload, "format"},
		{"four parts", tok(`{"alg":"RS256"}`) + ".x", "format"},
		{"JWE five parts", seg(`{"alg":"RSA-OAEP","enc":"A256GCM"}`) + ".a.b.c.d", "format"},
		{"opaque token with four dots", "a.b.c.d.e", "format"},
		{"header over the size cap", seg(`{"alg":"RS256","x":"`+strings.Repeat("a", maxHeaderSegment)+`"}`) + "." + payload + "." + sig, "header"},
		{"header with too many members", tok(`{"alg":"RS256"` + manyMembers(maxHeaderMembers) + `}`), "header"},
		{"signature over the size cap", seg(`{"alg":"RS256"}`) + "." + payload + "." + strings.Repeat("A", maxSignatureSegment+1), "format"},
		{"empty signature", seg(`{"alg":"none"}`) + "." + payload + ".", "format"},
		{"empty header", "." + payload + "." + sig, "format"},
		{"padding", seg(`{"alg":"RS256"}`) + "==." + payload + "." + sig, "format"},
		{"standard alphabet", seg(`{"alg":"RS256"}`) + "." + payload + "." + "ab+/", "format"},
		{"line break", seg(`{"alg":"RS256"}`) + "\n." + payload + "." + sig, "format"},
		{"non-canonical last char", seg(`{"alg":"RS256"}`) + "." + payload + "." + "AB", "format"},
		{"header not JSON", seg("not json") + "." + payload + "." + sig, "header"},
		{"header array", seg(`["alg","RS256"]`) + "." + payload + "." + sig, "header"},
		{"header trailing garbage", seg(`{"alg":"RS256"}x`) + "." + payload + "." + sig, "header"},
		{"no alg", tok(`{"kid":"k"}`), "header"},
		{"alg not string", tok(`{"alg":1}`), "header"},
		{"kid not string", tok(`{"alg":"RS256","kid":7}`), "header"},
		{"duplicate alg", tok(`{"alg":"RS256","alg":"none"}`), "header"},
		{"crit", tok(`{"alg":"RS256","crit":["exp"],"exp":1}`), "header"},
		{"b64 false", tok(`{"alg":"RS256","b64":false,"crit":["b64"]}`), "header"},
		{"zip", tok(`{"alg":"RS256","zip":"DEF"}`), "header"},
		{"nested JWT", tok(`{"alg":"RS256","cty":"JWT"}`), "header"},
		{"enc", tok(`{"alg":"RS256","enc":"A128GCM"}`), "header"},
		{"DPoP proof type", tok(`{"alg":"RS256","typ":"dpop+jwt"}`), "header"},
		{"security event type", tok(`{"alg":"RS256","typ":"secevent+jwt"}`), "header"},
		{"invalid UTF-8 header", seg("{\"alg\":\"RS256\",\"x\":\"\xff\"}") + "." + payload + "." + sig, "header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseAll(tc.token)
			var te *TokenError
			if !errors.As(err, &te) || te.Check != tc.check {
				t.Fatalf("err = %v, want a TokenError with check %q", err, tc.check)
			}
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatal("a TokenError must match ErrInvalidToken")
			}
			if strings.Contains(err.Error(), payload) || strings.Contains(err.Error(), sig) {
				t.Fatal("the error echoes the token")
			}
		})
	}
}
