package jose

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// rfc7638Key is the RSA key of RFC 7638 section 3.1, whose thumbprint the
// RFC gives.
const rfc7638Key = `{"kty":"RSA","n":"` +
	"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc" +
	"_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQ" +
	"R0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bF" +
	"TWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw" +
	`","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`

func TestReadProofHeader(t *testing.T) {
	h, err := ReadProofHeader(seg(`{"typ":"DPoP+JWT","alg":"RS256","jwk":` + rfc7638Key + `}`))
	if err != nil {
		t.Fatal(err)
	}
	if h.Alg != "RS256" || string(h.Key.Kty) != "RSA" || string(h.Key.E) != "AQAB" || string(h.JWK) != rfc7638Key {
		t.Fatalf("read %+v", h)
	}
	if got := h.Key.Thumbprint(); got != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
		t.Errorf("thumbprint %s, RFC 7638 gives NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", got)
	}
	ec := `{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}`
	for header, want := range map[string]*Error{
		`{"typ":"dpop+jwt","alg":"ES256","jwk":` + ec + `,"kid":"k"}`:         errProofParameter,
		`{"typ":"dpop+jwt","alg":"ES256","jwk":` + ec + `,"jku":"https://x"}`: errProofParameter,
		`{"typ":"dpop+jwt","alg":"ES256","jwk":` + ec + `,"typ":"dpop+jwt"}`:  errProofHeaderJSON,
		`{"typ":"JWT","alg":"ES256","jwk":` + ec + `}`:                        errProofType,
		`{"typ":"dpop+jwt","jwk":` + ec + `}`:                                 errProofNoAlg,
		`{"typ":"dpop+jwt","alg":"ES256"}`:                                    errProofNoJWK,
		`{"typ":"dpop+jwt","alg":"ES256","jwk":"x"}`:                          errProofNoJWK,
		`{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","d":"AA"}}`:        errProofPrivateKey,
		`{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","x":"A\u0041"}}`:   errProofJWK,
		`{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":1}}`:                    errProofJWK,
		`{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","kty":"RSA"}}`:     errProofJWK,
		`{"typ":"dpop+jwt","alg":"ES256","jwk":` + ec + `}x`:                  errProofHeaderJSON,
		`{"typ":"dpop+jwt","alg":"ES256","jwk":` + ec + `,}`:                  errProofHeaderJSON,
	} {
		if _, err := ReadProofHeader(seg(header)); err != want {
			t.Errorf("%s: %v, want %v", header, err, want)
		}
	}
	if _, err := ReadProofHeader("e30="); err != errProofHeaderEncoding {
		t.Errorf("padded header: %v, want %v", err, errProofHeaderEncoding)
	}
}

func TestReadProofClaims(t *testing.T) {
	pc, err := readProofClaims(
		[]byte(`{"jti":"j\u0031","htm":"GET","htu":"https://a/b","iat":1700000000.5,"ath":"h","nonce":"n"}`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if pc.JTI != "j1" || pc.HTM != "GET" || pc.HTU != "https://a/b" || pc.ATH != "h" || pc.Nonce != "n" ||
		!pc.IAT.Equal(time.Unix(1700000000, 5e8)) {
		t.Fatalf("read %+v", pc)
	}
	full := `"htm":"GET","htu":"u","iat":1,"ath":"h"`
	for claims, want := range map[string]*Error{
		`{"jti":"j",` + full + `,"jti":"k"}`:                    errProofClaims,
		`{"jti":1,` + full + `}`:                                errProofClaims,
		`{"jti":"j","iat":"1","htm":"GET","htu":"u","ath":"h"}`: errProofClaims,
		`{"jti":"j","iat":-1,"htm":"GET","htu":"u","ath":"h"}`:  errProofClaims,
		`{` + full + `}`: errProofNoJTI,
		`{"jti":"` + strings.Repeat("j", 257) + `",` + full + `}`:   errProofNoJTI,
		`{"jti":"j","htu":"u","iat":1,"ath":"h"}`:                   errProofNoTarget,
		`{"jti":"j","htm":"GET","htu":"u","ath":"h"}`:               errProofNoIAT,
		`{"jti":"j","htm":"GET","htu":"u","iat":1}`:                 errProofNoATH,
		`{"jti":"j","htm":"GET","htu":"u","iat":1,"ath":"h"} trail`: errProofClaims,
	} {
		if _, err := readProofClaims([]byte(claims)); err != want {
			t.Errorf("%s: %v, want %v", claims, err, want)
		}
	}
}

func TestSplitProof(t *testing.T) {
	p, err := SplitProof(seg("h") + "." + seg("p") + "." + seg("s"))
	if err != nil || p.Header != seg("h") || p.SigningInput != seg("h")+"."+seg("p") {
		t.Fatalf("split %+v, %v", p, err)
	}
	for _, bad := range []string{"a.b", "a.b.c.d", ".b.c", "a..c", "a.b.", "a.b\n.c"} {
		if _, err := SplitProof(bad); err != errProofNotCompact {
			t.Errorf("%q: %v, want %v", bad, err, errProofNotCompact)
		}
	}
	p, _ = SplitProof(seg("h") + "." + seg(`{}`) + "." + "AB")
	if _, err := p.Signature(); err != errProofNotBase64URL {
		t.Errorf("non-canonical signature: %v", err)
	}
	p, _ = SplitProof(seg("h") + "." + base64.URLEncoding.EncodeToString([]byte(`{}`)) + "." + seg("s"))
	if _, err := p.Signature(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Claims(); err != errProofNotBase64URL {
		t.Errorf("padded payload: %v", err)
	}
}
