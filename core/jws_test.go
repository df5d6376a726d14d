package core

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/internal/jose"
)

func seg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// parseAll parses a token as Verify does: the header, then the signature,
// then (after the signature check, skipped here) the payload.
func parseAll(token string) (jws, error) {
	t, err := parseJWS(token, DefaultMaxTokenSize, kidIndex{})
	if err == nil {
		var sigBuf jose.SignatureBuffer
		_, err = t.decodeSignature(&sigBuf)
	}
	if err == nil {
		_, err = t.decodePayload()
	}
	return t, err
}

func TestParseJWS(t *testing.T) {
	payload := seg(`{"sub":"u"}`)
	sig := seg("signature")
	tok := func(header string) string { return seg(header) + "." + payload + "." + sig }

	good, err := parseJWS(tok(`{"alg":"RS256","kid":"k1","typ":"JWT"}`), DefaultMaxTokenSize, kidIndex{})
	if err != nil {
		t.Fatal(err)
	}
	var sigBuf jose.SignatureBuffer
	gotSig, errSig := good.decodeSignature(&sigBuf)
	gotPayload, errPayload := good.decodePayload()
	if good.alg != "RS256" || good.kid != "k1" || !good.hasKID || errSig != nil || errPayload != nil ||
		string(gotPayload) != `{"sub":"u"}` ||
		string(gotSig) != "signature" {
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
	for _, ignored := range []string{
		`"jku":"http://127.0.0.1:1/keys"`,
		`"x5u":"http://127.0.0.1:1/c"`,
		`"jwk":{"kty":"oct","k":"AA"}`,
		`"x5c":["AA"]`,
	} {
		if _, err := parseJWS(tok(`{"alg":"RS256",`+ignored+`}`), DefaultMaxTokenSize, kidIndex{}); err != nil {
			t.Errorf("%s refused: %v (key-carrying headers are ignored, not fatal)", ignored, err)
		}
	}

	// Each part internal/jose refuses is named by its check.
	cases := []struct {
		name, token string
		check       Check
		description string
	}{
		{
			"too large",
			tok(`{"alg":"RS256"}`) + strings.Repeat("A", DefaultMaxTokenSize),
			"size",
			"the token is too large",
		},
		{
			"JWE five parts",
			seg(`{"alg":"RSA-OAEP","enc":"A256GCM"}`) + ".a.b.c.d",
			"format",
			"encrypted tokens (JWE) are not accepted",
		},
		{
			"non-canonical last char",
			seg(`{"alg":"RS256"}`) + "." + payload + "." + "AB",
			"format",
			"the token is not base64url-encoded",
		},
		{"duplicate alg", tok(`{"alg":"RS256","alg":"none"}`), "header", "the token header is not a valid JSON object"},
		{
			"crit",
			tok(`{"alg":"RS256","crit":["exp"],"exp":1}`),
			"header",
			"the token uses an unsupported header parameter",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseAll(tc.token)
			var te *TokenError
			if !errors.As(err, &te) || te.Check != tc.check || te.Description != tc.description {
				t.Fatalf("err = %v, want a TokenError with check %q and description %q", err, tc.check, tc.description)
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
