package authtest

import (
	"crypto"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims is the JWT claims set of a token to mint. Values are encoded with
// encoding/json, except time.Time, which becomes a NumericDate (seconds since
// the epoch) as JWT requires. A nil value removes the claim.
type Claims map[string]any

// MintOption changes how one token is signed. When several options choose
// the signing key (SignWith, SignWithKey, SignWithSecret), the last wins.
type MintOption func(*mintConfig)

type mintConfig struct {
	source  signSource
	alg     string
	headers []headerParam
}

type sourceKind int

const (
	sourceDefault sourceKind = iota // the issuer's default signing key
	sourceKID                       // one of the issuer's keys, by kid
	sourceKey                       // a caller's key
	sourceSecret                    // an HMAC secret
)

type signSource struct {
	kind   sourceKind
	kid    string
	key    crypto.Signer
	secret []byte
}

type headerParam struct {
	name  string
	value any
}

// SignWith signs with the issuer's key kid, published or removed, and puts
// kid in the header. Signing with a removed key mints a token that a relying
// party must refuse once it has refreshed its keys.
func SignWith(kid string) MintOption {
	return func(c *mintConfig) { c.source = signSource{kind: sourceKID, kid: kid} }
}

// SignWithKey signs with key, which the issuer need not know, and puts kid in
// the header ("" leaves kid out). With an unpublished key and a published
// kid it mints the classic forgery a relying party must refuse.
func SignWithKey(key crypto.Signer, kid string) MintOption {
	return func(c *mintConfig) { c.source = signSource{kind: sourceKey, kid: kid, key: key} }
}

// SignWithSecret signs with an HMAC secret (HS256 unless WithAlg picks
// HS384 or HS512) and puts kid in the header ("" leaves kid out). It exists
// for algorithm-confusion tests, such as an HS256 token whose secret is the
// issuer's published RSA public key.
func SignWithSecret(secret []byte, kid string) MintOption {
	return func(c *mintConfig) {
		c.source = signSource{kind: sourceSecret, kid: kid, secret: secret}
	}
}

// WithHeader sets the JOSE header parameter name to value, or removes it if
// value is nil, after the defaults (alg, typ, kid) are in place. Overriding
// "alg" changes only what the header claims; the signature is still made
// with the key's algorithm (use WithAlg to change both), which mints the
// header/signature mismatch a relying party must refuse.
func WithHeader(name string, value any) MintOption {
	return func(c *mintConfig) { c.headers = append(c.headers, headerParam{name, value}) }
}

// WithAlg signs with alg instead of the key's default algorithm and puts it
// in the header. It must fit the key (RS256/384/512 or PS256/384/512 for
// RSA, the curve's ES alg for ECDSA, EdDSA for Ed25519, HS256/384/512 for a
// secret), otherwise Mint fails. "none" mints an unsigned token with an
// empty signature, whatever the key.
func WithAlg(alg string) MintOption {
	return func(c *mintConfig) { c.alg = alg }
}

// Mint returns a compact-JWS token signed by the issuer's default key unless
// an option says otherwise. Its claims are the defaults (iss=URL(),
// aud=Audience(), sub=DefaultSubject, iat=now, exp=now+TTL, a random jti; no
// nbf) overridden by claims; a nil value removes a claim. Its header holds
// alg, typ "JWT" and the kid of the signing key.
//
// Mint fails on an unknown kid, an unknown algorithm, or an algorithm that
// does not fit the key.
func (i *Issuer) Mint(claims Claims, opts ...MintOption) (string, error) {
	var cfg mintConfig
	for _, opt := range opts {
		opt(&cfg)
	}
	key, alg, kid, err := i.resolveSigner(cfg.source)
	if err != nil {
		return "", err
	}
	if cfg.alg != "" {
		alg = cfg.alg
	}
	method := jwt.GetSigningMethod(alg)
	if method == nil {
		return "", fmt.Errorf("authtest: mint: unknown alg %q", alg)
	}
	if method == jwt.SigningMethodNone {
		key = jwt.UnsafeAllowNoneSignatureType
	}

	token := jwt.NewWithClaims(method, i.tokenClaims(claims))
	if kid != "" {
		token.Header["kid"] = kid
	}
	for _, h := range cfg.headers {
		if h.value == nil {
			delete(token.Header, h.name)
		} else {
			token.Header[h.name] = h.value
		}
	}
	signed, err := token.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("authtest: mint: signing with %s: %w", alg, err)
	}
	return signed, nil
}

// MustMint is Mint for tests, where a failure to mint is a bug in the test:
// it panics instead of returning an error.
func (i *Issuer) MustMint(claims Claims, opts ...MintOption) string {
	token, err := i.Mint(claims, opts...)
	if err != nil {
		panic(err)
	}
	return token
}

// resolveSigner returns the key to sign with (as golang-jwt expects it), its
// default algorithm and the kid to put in the header.
func (i *Issuer) resolveSigner(src signSource) (key any, alg, kid string, err error) {
	switch src.kind {
	case sourceKey:
		key, alg, err = signingParams(src.key)
		if err != nil {
			return nil, "", "", fmt.Errorf("authtest: SignWithKey: %w", err)
		}
		return key, alg, src.kid, nil
	case sourceSecret:
		return src.secret, "HS256", src.kid, nil
	}
	k, ok := i.key(src.kid) // "" (sourceDefault) is the default key
	if !ok {
		return nil, "", "", fmt.Errorf("authtest: SignWith(%q): no such key", src.kid)
	}
	return k.signer, k.alg, k.kid, nil
}

// tokenClaims merges claims over the default claims.
func (i *Issuer) tokenClaims(claims Claims) jwt.MapClaims {
	now := time.Now()
	merged := jwt.MapClaims{
		"iss": i.url,
		"aud": i.audience,
		"sub": DefaultSubject,
		"iat": now.Unix(),
		"exp": now.Add(i.ttl).Unix(),
		"jti": rand.Text(),
	}
	for name, value := range claims {
		switch v := value.(type) {
		case nil:
			delete(merged, name)
		case time.Time:
			merged[name] = v.Unix()
		default:
			merged[name] = v
		}
	}
	return merged
}
