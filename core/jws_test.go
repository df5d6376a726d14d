package core

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func seg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestParseJWS(t *testing.T) {
	payload := seg(`{"sub":"u"}`)
	sig := seg("signature")
	tok := func(header string) string { return seg(header) + "." + payload + "." + sig }

	good, err := parseJWS(tok(`{"alg":"RS256","kid":"k1","typ":"JWT"}`), DefaultMaxTokenSize)
	if err != nil {
		t.Fatal(err)
	}
	if good.alg != "RS256" || good.kid != "k1" || !good.hasKID || string(good.payload) != `{"sub":"u"}` || string(good.signature) != "signature" {
		t.Fatalf("parsed %+v", good)
	}
	if noKID, err := parseJWS(tok(`{"alg":"ES256"}`), DefaultMaxTokenSize); err != nil || noKID.hasKID {
		t.Fatalf("no kid: %+v %v", noKID, err)
	}
	for _, typ := range []string{"JWT", "jwt", "at+jwt", "application/at+JWT"} {
		if _, err := parseJWS(tok(`{"alg":"RS256","typ":"`+typ+`"}`), DefaultMaxTokenSize); err != nil {
			t.Errorf("typ %q refused: %v", typ, err)
		}
	}
	for _, ignored := range []string{`"jku":"http://127.0.0.1:1/keys"`, `"x5u":"http://127.0.0.1:1/c"`, `"jwk":{"kty":"oct","k":"AA"}`, `"x5c":["AA"]`} {
		if _, err := parseJWS(tok(`{"alg":"RS256",`+ignored+`}`), DefaultMaxTokenSize); err != nil {
			t.Errorf("%s refused: %v (key-carrying headers are ignored, not fatal)", ignored, err)
		}
	}

	cases := []struct {
		name, token, check string
	}{
		{"too large", tok(`{"alg":"RS256"}`) + strings.Repeat("A", DefaultMaxTokenSize), "size"},
		{"two parts", seg(`{"alg":"RS256"}`) + "." + payload, "format"},
		{"four parts", tok(`{"alg":"RS256"}`) + ".x", "format"},
		{"JWE five parts", "a.b.c.d.e", "format"},
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
		{"logout token type", tok(`{"alg":"RS256","typ":"logout+jwt"}`), "header"},
		{"invalid UTF-8 header", seg("{\"alg\":\"RS256\",\"x\":\"\xff\"}") + "." + payload + "." + sig, "header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseJWS(tc.token, DefaultMaxTokenSize)
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
