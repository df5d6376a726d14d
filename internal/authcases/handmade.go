package authcases

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// Hand-made tokens: raw header and payload JSON, signed for real with the
// fixed RSA key, so that hostile JSON gets past the signature and reaches
// the claims parser.

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// signRaw signs header.payload (raw JSON strings) with the issuer's RSA key.
func signRaw(header, payload string) string {
	input := b64url(header) + "." + b64url(payload)
	sig, err := jwt.SigningMethodRS256.Sign(input, testkeys.RSA())
	if err != nil {
		panic(err) // a fixed key that cannot sign is a broken fixture
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// rsHeader is the header of a well-formed RS256 token from the fixture.
var rsHeader = `{"alg":"RS256","typ":"JWT","kid":"` + testkeys.KIDRSA + `"}`

// claimsJSON is a valid claims set for e, as raw JSON, with extra members
// spliced in before the closing brace.
func claimsJSON(e *Env, extra string) string {
	now := time.Now().Unix()
	return fmt.Sprintf(
		`{"iss":%q,"aud":%q,"sub":"user-1","iat":%d,"exp":%d%s}`,
		e.Issuer.URL(),
		Audience,
		now,
		now+3600,
		extra,
	)
}

// withHeader replaces a token's header segment with raw JSON, keeping its
// payload and signature (so the signature no longer matches).
func withHeader(token, header string) string {
	_, rest, _ := strings.Cut(token, ".")
	return b64url(header) + "." + rest
}

// withSignature replaces a token's signature segment.
func withSignature(token string, sig []byte) string {
	return token[:strings.LastIndexByte(token, '.')+1] + base64.RawURLEncoding.EncodeToString(sig)
}

// p256Order returns n, the order of the P-256 group, big-endian.
func p256Order() []byte {
	return elliptic.P256().Params().N.FillBytes(make([]byte, 32))
}

// derSignature signs a token's signing input with the EC key in ASN.1 DER,
// the encoding JWS forbids (it wants raw r||s).
func derSignature(token string) []byte {
	input := token[:strings.LastIndexByte(token, '.')]
	sum := sha256.Sum256([]byte(input))
	sig, err := ecdsa.SignASN1(rand.Reader, testkeys.EC(), sum[:])
	if err != nil {
		panic(err)
	}
	return sig
}

// rsaPublicPEM is the fixture's RSA public key as PEM, the classic
// HS256-confusion secret.
func rsaPublicPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(&testkeys.RSA().PublicKey)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
