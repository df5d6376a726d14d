package authcases

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// Kinds of UnusableKey.
const (
	KindSmallOrderEd25519 = "small-order Ed25519"
	KindInvalidEC         = "invalid EC point"
	KindKeyOps            = "key_ops without verify"
	KindUse               = "use other than sig"
	KindX509              = "bad x5c or x5t"
	KindWeakRSA           = "weak RSA"
)

// UnusableKey is a JWK that a JWKS may carry but that must never verify a
// token, and a token that would verify if it did.
type UnusableKey struct {
	Name string
	Kind string
	KID  string
	JWK  string // the raw JWK, as published
	// Forge returns a token for issuer and Audience under KID that verifies
	// under the key as published: signed with the matching private key, or
	// with a crafted signature where the key is degenerate.
	Forge func(issuer string) string
	// Public is the public key the JWK encodes, when it is well-formed
	// enough to have one.
	Public any
}

// UnusableKeys returns the unusable keys NewCatalogueEnv publishes beside
// the good ones. Each must be refused on its own while the set's other keys
// stay in use: a token naming it gets 401, and neither its presence nor a
// refresh with it in the set stops the good keys from loading.
func UnusableKeys() []UnusableKey {
	rsaKey := testkeys.RSA()
	ec := testkeys.EC()
	sign := func(method jwt.SigningMethod, priv any) func(string, string) string {
		return func(kid, issuer string) string { return signToken(method, priv, kid, issuer) }
	}
	rs256, es256 := sign(jwt.SigningMethodRS256, rsaKey), sign(jwt.SigningMethodES256, ec)
	var keys []UnusableKey
	add := func(name, kind, kid string, public any, jwk string, forge func(kid, issuer string) string) {
		keys = append(keys, UnusableKey{Name: name, Kind: kind, KID: kid, JWK: jwk, Public: public,
			Forge: func(issuer string) string { return forge(kid, issuer) }})
	}

	// Ed25519 keys of small order. Go's verifier accepts them, and under
	// them R = the identity, S = 0 verifies a share of all messages (every
	// message, for the identity).
	for i, p := range smallOrderPoints() {
		kid := fmt.Sprintf("ed25519-small-order-%d", i)
		pub := ed25519.PublicKey(p.encoding)
		add(p.name, KindSmallOrderEd25519, kid, pub,
			fmt.Sprintf(`{"kty":"OKP","crv":"Ed25519","kid":%q,"x":%q}`, kid, b64bytes(pub)), forgeSmallOrder(pub))
	}

	// EC points that are not on P-256.
	point := func(x, y *big.Int) string {
		return b64bytes(x.FillBytes(make([]byte, 32))) + `","y":"` + b64bytes(y.FillBytes(make([]byte, 32)))
	}
	offY := new(big.Int).Add(ec.Y, big.NewInt(1))
	add("P-256 point off the curve", KindInvalidEC, "ec-off-curve", nil,
		`{"kty":"EC","crv":"P-256","kid":"ec-off-curve","x":"`+point(ec.X, offY)+`"}`, es256)
	add("P-256 point (0, 0)", KindInvalidEC, "ec-zero-point", nil,
		`{"kty":"EC","crv":"P-256","kid":"ec-zero-point","x":"`+point(new(big.Int), new(big.Int))+`"}`, es256)

	// The issuer's own RSA key, published for something other than
	// verifying: a token it signed would verify if use or key_ops were
	// ignored.
	pub := &rsaKey.PublicKey
	rsaJWK := func(kid, extra string) string {
		return fmt.Sprintf(`{"kty":"RSA","kid":%q,"n":%q,"e":"AQAB"%s}`, kid, b64bytes(pub.N.Bytes()), extra)
	}
	for _, c := range []struct{ kid, ops string }{
		{"rsa-key-ops-encrypt", `["encrypt"]`},
		{"rsa-key-ops-sign", `["sign"]`},
		{"rsa-key-ops-unknown", `["frobnicate"]`},
		{"rsa-key-ops-empty", `[]`},
	} {
		add("key_ops "+c.ops, KindKeyOps, c.kid, pub, rsaJWK(c.kid, `,"key_ops":`+c.ops), rs256)
	}
	add(`use "enc"`, KindUse, "rsa-use-enc", pub, rsaJWK("rsa-use-enc", `,"use":"enc"`), rs256)
	add(
		`use "signature" (not a registered value)`,
		KindUse,
		"rsa-use-signature",
		pub,
		rsaJWK("rsa-use-signature", `,"use":"signature"`),
		rs256,
	)
	add(`use "enc" beside a case-variant "Use":"sig"`, KindUse, "rsa-use-case-variant", pub,
		rsaJWK("rsa-use-case-variant", `,"use":"enc","Use":"sig"`), rs256)
	add(`use "enc", then "sig" again (a duplicate member)`, KindUse, "rsa-use-duplicate", pub,
		rsaJWK("rsa-use-duplicate", `,"use":"enc","use":"sig"`), rs256)

	// X.509 members that contradict the key or cannot be read.
	own := selfSignedCert(rsaKey)
	other := selfSignedCert(testkeys.AttackerRSA())
	thumb := sha1.Sum(own)
	add("x5c not base64", KindX509, "rsa-bad-x5c", pub, rsaJWK("rsa-bad-x5c", `,"x5c":["not base64!"]`), rs256)
	add("x5c certificate of another key", KindX509, "rsa-x5c-other-key", pub,
		rsaJWK("rsa-x5c-other-key", `,"x5c":["`+base64.StdEncoding.EncodeToString(other)+`"]`), rs256)
	add(
		"x5t the hex of the thumbprint, base64url-encoded",
		KindX509,
		"rsa-x5t-hex",
		pub,
		rsaJWK(
			"rsa-x5t-hex",
			`,"x5c":["`+base64.StdEncoding.EncodeToString(own)+`"],"x5t":"`+b64url(hex.EncodeToString(thumb[:]))+`"`,
		),
		rs256,
	)

	// Weak RSA keys.
	p, q := rsaKey.Primes[0], rsaKey.Primes[1]
	weak := func(name, kid string, n *big.Int, e int, forge func(kid, issuer string) string) {
		k := &rsa.PublicKey{N: n, E: e}
		add(
			name,
			KindWeakRSA,
			kid,
			k,
			fmt.Sprintf(
				`{"kty":"RSA","kid":%q,"n":%q,"e":%q}`,
				kid,
				b64bytes(n.Bytes()),
				b64bytes(big.NewInt(int64(e)).Bytes()),
			),
			forge,
		)
	}
	three := big.NewInt(3)
	n3 := new(big.Int).Mul(new(big.Int).Mul(three, p), q)
	phi3 := new(
		big.Int,
	).Mul(big.NewInt(2), new(big.Int).Mul(new(big.Int).Sub(p, big.NewInt(1)), new(big.Int).Sub(q, big.NewInt(1))))
	weak(
		"modulus with the factor 3 (anyone can sign)",
		"rsa-small-factor",
		n3,
		65537,
		forgeRS256(n3, new(big.Int).ModInverse(big.NewInt(65537), phi3)),
	)
	weak("exponent 1 (the signature is the padded hash)", "rsa-exponent-1", pub.N, 1, forgeRS256(pub.N, big.NewInt(1)))
	weak("even modulus", "rsa-even-modulus", new(big.Int).Lsh(pub.N, 1), 65537, rs256)
	weak("even exponent", "rsa-exponent-even", pub.N, 65536, rs256)
	return keys
}

// unusableJWKs returns the raw JWKs of UnusableKeys.
func unusableJWKs() []string {
	var out []string
	for _, k := range UnusableKeys() {
		out = append(out, k.JWK)
	}
	return out
}

// keyCases are the catalogue's cases for the unusable keys published in the
// set: a token naming each is refused, and the good keys still verify.
func keyCases(e *Env) []Case {
	cases := []Case{
		ok("RS256 beside the unusable keys", Case{Auth: bearer(e.Issuer.MustMint(nil))}),
	}
	for _, k := range UnusableKeys() {
		cases = append(cases, invalidToken(k.Kind+": "+k.Name, k.Forge(e.Issuer.URL()),
			"an unusable key is refused on its own; the set's other keys stay in use"))
	}
	return cases
}

// smallOrderPoint is one encoding of an Ed25519 point of small order.
type smallOrderPoint struct {
	name     string
	encoding []byte
}

// smallOrderPoints returns the eight points of small order in their
// canonical encodings, and the non-canonical encodings of some of them:
// the sign bit set where x = 0, and y = p or p+1 (0 and 1 unreduced).
func smallOrderPoints() []smallOrderPoint {
	var out []smallOrderPoint
	for _, p := range []struct{ name, hex string }{
		{"identity", "0100000000000000000000000000000000000000000000000000000000000000"},
		{"order 2", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
		{"order 4", "0000000000000000000000000000000000000000000000000000000000000000"},
		{"order 4, negative x", "0000000000000000000000000000000000000000000000000000000000000080"},
		{"order 8", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"},
		{"order 8, negative x", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"},
		{"order 8 (second)", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"},
		{"order 8 (second), negative x", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"},
		{"identity, sign bit set (not canonical)", "0100000000000000000000000000000000000000000000000000000000000080"},
		{"order 2, sign bit set (not canonical)", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
		{"order 4, y = p (not canonical)", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
		{
			"order 4, y = p, sign bit set (not canonical)",
			"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		},
		{"identity, y = p+1 (not canonical)", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
		{
			"identity, y = p+1, sign bit set (not canonical)",
			"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		},
	} {
		b, err := hex.DecodeString(p.hex)
		if err != nil {
			panic(err) // a fixed table that does not decode is a broken fixture
		}
		out = append(out, smallOrderPoint{p.name, b})
	}
	return out
}

// forgeSmallOrder returns a forger of EdDSA tokens under pub, a point of
// small order, without any private key: with R = the identity and S = 0,
// Go's ed25519.Verify accepts any message for which [k]A is the identity,
// one in at most eight; the jti is varied until one is found, as an
// attacker would.
func forgeSmallOrder(pub ed25519.PublicKey) func(kid, issuer string) string {
	return func(kid, issuer string) string {
		sig := make([]byte, ed25519.SignatureSize)
		sig[0] = 1 // R: the identity, (0, 1); S: zero
		header := b64url(`{"alg":"EdDSA","typ":"JWT","kid":"` + kid + `"}`)
		for i := range 1024 {
			input := header + "." + b64url(claimsFor(issuer, fmt.Sprintf(`,"jti":"forged-%d"`, i)))
			if ed25519.Verify(pub, []byte(input), sig) {
				return input + "." + b64bytes(sig)
			}
		}
		panic("authcases: no message verifies under a small-order key; the fixture is broken")
	}
}

// forgeRS256 returns a forger of RS256 tokens under the modulus n with the
// private exponent d, computed by hand: Go's crypto/rsa refuses to build
// such private keys, which is the point.
func forgeRS256(n, d *big.Int) func(kid, issuer string) string {
	if d == nil {
		panic("authcases: the exponent has no inverse; the fixture is broken")
	}
	return func(kid, issuer string) string {
		input := b64url(`{"alg":"RS256","typ":"JWT","kid":"`+kid+`"}`) + "." + b64url(claimsFor(issuer, ""))
		k := (n.BitLen() + 7) / 8
		sum := sha256.Sum256([]byte(input))
		// EMSA-PKCS1-v1_5 (RFC 8017 section 9.2) with SHA-256's DigestInfo.
		digestInfo := append(
			[]byte{
				0x30,
				0x31,
				0x30,
				0x0d,
				0x06,
				0x09,
				0x60,
				0x86,
				0x48,
				0x01,
				0x65,
				0x03,
				0x04,
				0x02,
				0x01,
				0x05,
				0x00,
				0x04,
				0x20,
			},
			sum[:]...)
		em := make([]byte, k)
		em[1] = 1
		for i := 2; i < k-len(digestInfo)-1; i++ {
			em[i] = 0xff
		}
		copy(em[k-len(digestInfo):], digestInfo)
		s := new(big.Int).Exp(new(big.Int).SetBytes(em), d, n)
		return input + "." + b64bytes(s.FillBytes(make([]byte, k)))
	}
}

// signToken signs a token for issuer under kid with a real private key.
func signToken(method jwt.SigningMethod, priv any, kid, issuer string) string {
	input := b64url(`{"alg":"`+method.Alg()+`","typ":"JWT","kid":"`+kid+`"}`) + "." + b64url(claimsFor(issuer, ""))
	sig, err := method.Sign(input, priv)
	if err != nil {
		panic(err) // a fixed key that cannot sign is a broken fixture
	}
	return input + "." + b64bytes(sig)
}

// claimsFor is a valid claims set for issuer and Audience, as raw JSON, with
// extra members spliced in.
func claimsFor(issuer, extra string) string {
	now := time.Now().Unix()
	return fmt.Sprintf(`{"iss":%q,"aud":%q,"sub":"user-1","iat":%d,"exp":%d%s}`, issuer, Audience, now, now+3600, extra)
}

// selfSignedCert returns a DER certificate for key's public key.
func selfSignedCert(key *rsa.PrivateKey) []byte {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "identsphere test"},
		NotBefore:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return der
}
