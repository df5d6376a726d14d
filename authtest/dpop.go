package authtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"maps"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// The DPoP kit: the client side of RFC 9449 (OAuth 2.0 Demonstrating Proof
// of Possession), for tests of a resource server that accepts DPoP-bound
// tokens. A DPoPKey is the client's key pair; the issuer binds a token to
// it (BoundTo puts the key's thumbprint in the token's cnf.jkt claim); the
// client sends the token as "Authorization: DPoP <token>" with a fresh
// proof, a JWT signed by the key, in the DPoP header:
//
//	key := authtest.NewDPoPKey(t)
//	token := iss.Token(t, authtest.BoundTo(key))
//	req, _ := http.NewRequest("GET", "https://api.example/orders", nil)
//	key.Authorize(req, token) // Authorization: DPoP <token>, DPoP: <proof>
//
// ProofOptions make the hostile proofs a resource server must refuse: an
// old iat, a reused jti, another key's signature, a private key in the
// header, alg none or HS256...

// DPoPProofType is the typ header of a DPoP proof (RFC 9449 section 4.2).
const DPoPProofType = "dpop+jwt"

// DPoPKey is a DPoP client's key pair: it signs proofs and names itself in
// them by its public JWK. It is immutable and safe for concurrent use.
type DPoPKey struct {
	signer     crypto.Signer
	alg        string            // the algorithm its proofs are signed with by default
	public     map[string]string // the public JWK's members
	thumbprint string
}

// DPoPKeyOption chooses the key NewDPoPKey and GenerateDPoPKey make. When
// several are given, the last wins. Without one, the key is a new ECDSA
// P-256 key signing ES256, the algorithm RFC 9449's examples use.
type DPoPKeyOption func(*dpopKeyConfig)

type dpopKeyConfig struct {
	make func() (crypto.Signer, error)
}

// DPoPKeyRSA generates an RSA key of bits bits, signing RS256 (PS256 and
// the others through WithProofAlg). core admits RSA proof keys of 2048
// bits, up to 4096 where DPoPConfig.MaxProofRSABits allows; a key outside
// that makes the proofs a resource server must refuse (crypto/rsa refuses
// to generate one under 1024 bits).
func DPoPKeyRSA(bits int) DPoPKeyOption {
	return func(c *dpopKeyConfig) {
		c.make = func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, bits) }
	}
}

// DPoPKeyECDSA generates an ECDSA key on curve: elliptic.P256() (ES256),
// P384() (ES384) or P521() (ES512).
func DPoPKeyECDSA(curve elliptic.Curve) DPoPKeyOption {
	return func(c *dpopKeyConfig) {
		c.make = func() (crypto.Signer, error) { return ecdsa.GenerateKey(curve, rand.Reader) }
	}
}

// DPoPKeyEd25519 generates an Ed25519 key, signing EdDSA.
func DPoPKeyEd25519() DPoPKeyOption {
	return func(c *dpopKeyConfig) {
		c.make = func() (crypto.Signer, error) {
			_, key, err := ed25519.GenerateKey(rand.Reader)
			return key, err
		}
	}
}

// DPoPKeySigner uses signer instead of generating a key: a key loaded from
// a file, or one held where its private half cannot be read (a hardware
// key). Its public key must be RSA, ECDSA on P-256, P-384 or P-521, or
// Ed25519; an ECDSA signer must return ASN.1 signatures, as crypto.Signer
// documents. WithPrivateJWK needs an *rsa.PrivateKey, *ecdsa.PrivateKey or
// ed25519.PrivateKey.
func DPoPKeySigner(signer crypto.Signer) DPoPKeyOption {
	return func(c *dpopKeyConfig) {
		c.make = func() (crypto.Signer, error) {
			if signer == nil {
				return nil, errors.New("the signer is nil")
			}
			return signer, nil
		}
	}
}

// NewDPoPKey returns a new DPoP key (ECDSA P-256 unless an option chooses
// another) and fails the test if it cannot be made.
func NewDPoPKey(t testing.TB, opts ...DPoPKeyOption) *DPoPKey {
	t.Helper()
	k, err := GenerateDPoPKey(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// GenerateDPoPKey is NewDPoPKey without a test: it returns an error when
// the key cannot be made (an unsupported signer, an RSA size crypto/rsa
// refuses).
func GenerateDPoPKey(opts ...DPoPKeyOption) (*DPoPKey, error) {
	cfg := dpopKeyConfig{make: func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }}
	for _, opt := range opts {
		opt(&cfg)
	}
	signer, err := cfg.make()
	if err != nil {
		return nil, fmt.Errorf("authtest: DPoP key: %w", err)
	}
	alg, public, err := dpopPublicJWK(signer.Public())
	if err != nil {
		return nil, fmt.Errorf("authtest: DPoP key: %w", err)
	}
	return &DPoPKey{signer: signer, alg: alg, public: public, thumbprint: jwkThumbprint(public)}, nil
}

// Thumbprint returns the key's JWK SHA-256 thumbprint (RFC 7638), base64url
// without padding: the value of a bound token's cnf.jkt claim.
func (k *DPoPKey) Thumbprint() string { return k.thumbprint }

// Alg returns the algorithm the key signs proofs with by default: ES256,
// ES384, ES512, RS256 or EdDSA.
func (k *DPoPKey) Alg() string { return k.alg }

// Signer returns the private key.
func (k *DPoPKey) Signer() crypto.Signer { return k.signer }

// PublicJWK returns a copy of the key's public JWK, as proofs carry it in
// their jwk header, for tests that build a header of their own.
func (k *DPoPKey) PublicJWK() map[string]any {
	out := make(map[string]any, len(k.public))
	for name, v := range k.public {
		out[name] = v
	}
	return out
}

// BoundTo returns claims for a token bound to key: cnf (RFC 7800) holding
// jkt, the key's thumbprint (RFC 9449 section 6.1), added to a copy of
// claims (the last wins where several name the same claim). Mint a token
// with it:
//
//	token := iss.Token(t, authtest.BoundTo(key, authtest.Claims{"sub": "alice"}))
func BoundTo(key *DPoPKey, claims ...Claims) Claims {
	return withConfirmation(map[string]any{"jkt": key.Thumbprint()}, claims)
}

func withConfirmation(cnf map[string]any, claims []Claims) Claims {
	out := Claims{}
	for _, c := range claims {
		maps.Copy(out, c)
	}
	out["cnf"] = cnf
	return out
}

// DPoPAccessTokenHash returns the ath claim of a proof sent with
// accessToken: the base64url SHA-256 of its ASCII bytes (RFC 9449 section
// 4.2).
func DPoPAccessTokenHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return b64.EncodeToString(sum[:])
}

// ProofOption changes one proof, mostly to make a hostile one. Options
// apply in order; where several set the same thing, the last wins.
type ProofOption func(*proofConfig)

type proofConfig struct {
	claims     []Claims
	headers    []headerParam
	alg        string
	signer     crypto.Signer
	secret     []byte
	privateJWK bool
}

// WithProofIAT sets the proof's iat, for proofs too old or from the future.
func WithProofIAT(iat time.Time) ProofOption {
	return WithProofClaims(Claims{"iat": iat})
}

// WithProofJTI sets the proof's jti, which is otherwise random, for proofs
// that reuse one.
func WithProofJTI(jti string) ProofOption {
	return WithProofClaims(Claims{"jti": jti})
}

// WithProofNonce puts nonce, the value of a DPoP-Nonce header the server
// sent, in the proof's nonce claim (RFC 9449 section 8).
func WithProofNonce(nonce string) ProofOption {
	return WithProofClaims(Claims{"nonce": nonce})
}

// WithProofClaims sets the proof's claims over the defaults (jti, htm, htu,
// iat and, with an access token, ath): a nil value removes one, a time.Time
// becomes a NumericDate, anything else is encoded with encoding/json. It
// makes proofs for another method or URL, with the ath of another token,
// without a jti, or oversized.
func WithProofClaims(claims Claims) ProofOption {
	return func(c *proofConfig) { c.claims = append(c.claims, claims) }
}

// WithProofHeader sets the JOSE header parameter name to value, or removes
// it if value is nil, after the defaults (typ, alg, jwk) are in place: a
// proof with typ JWT, without jwk, with the jwk of another key, or with a
// jwk holding private members. Overriding alg changes only what the header
// claims (see WithProofAlg to change both).
func WithProofHeader(name string, value any) ProofOption {
	return func(c *proofConfig) { c.headers = append(c.headers, headerParam{name, value}) }
}

// WithProofAlg signs with alg instead of the signing key's default
// algorithm and puts it in the header. It must fit the key (RS256/384/512
// or PS256/384/512 for RSA, the curve's ES alg for ECDSA, EdDSA for
// Ed25519, HS256/384/512 with SignProofWithSecret), otherwise the proof
// cannot be made. "none" makes an unsigned proof with an empty signature.
func WithProofAlg(alg string) ProofOption {
	return func(c *proofConfig) { c.alg = alg }
}

// SignProofWithKey signs the proof with signer while its jwk header still
// names the DPoP key: a proof whose signature does not match its key, or,
// with WithProofHeader("jwk", other.PublicJWK()), a valid proof of a key
// that is not the one the token is bound to.
func SignProofWithKey(signer crypto.Signer) ProofOption {
	return func(c *proofConfig) { c.signer, c.secret = signer, nil }
}

// SignProofWithSecret signs the proof with an HMAC secret (HS256 unless
// WithProofAlg picks HS384 or HS512), a symmetric algorithm RFC 9449
// forbids.
func SignProofWithSecret(secret []byte) ProofOption {
	return func(c *proofConfig) { c.secret, c.signer = secret, nil }
}

// WithPrivateJWK puts the key's private members (d, and p, q, dp, dq, qi
// for RSA) in the jwk header, as a careless client would: a resource server
// must refuse the proof. It needs an *rsa.PrivateKey, *ecdsa.PrivateKey or
// ed25519.PrivateKey.
func WithPrivateJWK() ProofOption {
	return func(c *proofConfig) { c.privateJWK = true }
}

// Proof returns a DPoP proof for a request with method to targetURL (its
// query and fragment are left out of htu, as RFC 9449 section 4.2 says)
// carrying accessToken ("" for a proof without ath, as sent to a token
// endpoint). Its header holds typ dpop+jwt, the key's algorithm and public
// JWK; its claims a random jti, htm, htu, iat now and ath. opts change it.
//
// A proof that cannot be made (an algorithm that does not fit the key, a
// URL that does not parse) is a bug in the test: Proof panics. SignProof
// returns the error instead.
func (k *DPoPKey) Proof(method, targetURL, accessToken string, opts ...ProofOption) string {
	proof, err := k.SignProof(method, targetURL, accessToken, opts...)
	if err != nil {
		panic(err)
	}
	return proof
}

// SignProof is Proof returning an error instead of panicking.
func (k *DPoPKey) SignProof(method, targetURL, accessToken string, opts ...ProofOption) (string, error) {
	var cfg proofConfig
	for _, opt := range opts {
		opt(&cfg)
	}
	htu, err := proofHTU(targetURL)
	if err != nil {
		return "", err
	}
	claims := map[string]any{
		"jti": rand.Text(),
		"htm": method,
		"htu": htu,
		"iat": time.Now().Unix(),
	}
	if accessToken != "" {
		claims["ath"] = DPoPAccessTokenHash(accessToken)
	}
	for _, c := range cfg.claims {
		for name, value := range c {
			switch v := value.(type) {
			case nil:
				delete(claims, name)
			case time.Time:
				claims[name] = v.Unix()
			default:
				claims[name] = v
			}
		}
	}

	signer, alg := k.signer, k.alg
	if cfg.signer != nil {
		if alg, _, err = dpopPublicJWK(cfg.signer.Public()); err != nil {
			return "", fmt.Errorf("authtest: SignProofWithKey: %w", err)
		}
		signer = cfg.signer
	}
	if cfg.secret != nil {
		signer, alg = nil, "HS256"
	}
	if cfg.alg != "" {
		alg = cfg.alg
	}
	jwk := k.PublicJWK()
	if cfg.privateJWK {
		if err := addPrivateMembers(jwk, k.signer); err != nil {
			return "", fmt.Errorf("authtest: WithPrivateJWK: %w", err)
		}
	}
	header := map[string]any{"typ": DPoPProofType, "alg": alg, "jwk": jwk}
	for _, h := range cfg.headers {
		if h.value == nil {
			delete(header, h.name)
		} else {
			header[h.name] = h.value
		}
	}

	h, err := json.Marshal(header)
	if err != nil {
		return "", fmt.Errorf("authtest: proof header: %w", err)
	}
	p, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("authtest: proof claims: %w", err)
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(p)
	sig, err := jwsSignature(alg, signer, cfg.secret, []byte(input))
	if err != nil {
		return "", fmt.Errorf("authtest: proof: %w", err)
	}
	return input + "." + b64.EncodeToString(sig), nil
}

// Authorize sets r's Authorization header to "DPoP accessToken" and its
// DPoP header to a proof for r's method and URL, which must be absolute:
// the URL the resource server is reached at, as it is configured to know
// it. With an empty accessToken it sets the proof alone. Like Proof, it
// panics when the proof cannot be made.
func (k *DPoPKey) Authorize(r *http.Request, accessToken string, opts ...ProofOption) {
	if !r.URL.IsAbs() {
		panic(
			fmt.Sprintf(
				"authtest: Authorize: the request's URL %q is not absolute; "+
					"a proof names the URL the server is reached at",
				r.URL,
			),
		)
	}
	if accessToken != "" {
		r.Header.Set("Authorization", "DPoP "+accessToken)
	}
	r.Header.Set("DPoP", k.Proof(r.Method, r.URL.String(), accessToken, opts...))
}

// proofHTU is targetURL without its query and fragment.
func proofHTU(targetURL string) (string, error) {
	u, err := url.Parse(targetURL)
	if err != nil {
		return "", fmt.Errorf("authtest: proof URL: %w", err)
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	return u.String(), nil
}

// dpopPublicJWK returns the default algorithm and the public JWK members
// (RFC 7518 section 6, RFC 8037) of pub.
func dpopPublicJWK(pub crypto.PublicKey) (string, map[string]string, error) {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return "RS256", map[string]string{
			"kty": "RSA",
			"n":   b64.EncodeToString(p.N.Bytes()),
			"e":   b64.EncodeToString(big.NewInt(int64(p.E)).Bytes()),
		}, nil
	case *ecdsa.PublicKey:
		algs := map[elliptic.Curve]string{elliptic.P256(): "ES256", elliptic.P384(): "ES384", elliptic.P521(): "ES512"}
		alg, ok := algs[p.Curve]
		if !ok {
			return "", nil, fmt.Errorf("unsupported ECDSA curve %s", p.Curve.Params().Name)
		}
		point, err := p.Bytes() // 0x04 || X || Y, each padded to the field size
		if err != nil {
			return "", nil, err
		}
		size := (len(point) - 1) / 2
		return alg, map[string]string{
			"kty": "EC",
			"crv": p.Curve.Params().Name,
			"x":   b64.EncodeToString(point[1 : 1+size]),
			"y":   b64.EncodeToString(point[1+size:]),
		}, nil
	case ed25519.PublicKey:
		return "EdDSA", map[string]string{"kty": "OKP", "crv": "Ed25519", "x": b64.EncodeToString(p)}, nil
	}
	return "", nil, fmt.Errorf("unsupported public key type %T (want RSA, ECDSA or Ed25519)", pub)
}

// thumbprintMembers are the members of a JWK that its RFC 7638 thumbprint
// covers, by kty (RFC 7638 section 3.2, RFC 8037 section 2).
var thumbprintMembers = map[string][]string{
	"RSA": {"e", "kty", "n"},
	"EC":  {"crv", "kty", "x", "y"},
	"OKP": {"crv", "kty", "x"},
}

// JWKThumbprint returns the RFC 7638 thumbprint of a public JWK (kty RSA,
// EC or OKP), base64url without padding: the cnf.jkt of a token bound to a
// key a test builds itself, such as one a resource server must refuse
// whose private half nobody holds. Sign its proofs with SignProofWithKey
// and name it with WithProofHeader("jwk", jwk).
func JWKThumbprint(jwk map[string]string) string { return jwkThumbprint(jwk) }

// jwkThumbprint is the JWK SHA-256 thumbprint of RFC 7638: the SHA-256 of
// the JSON object holding only the required members, in lexicographic
// order, without whitespace, base64url-encoded without padding.
func jwkThumbprint(jwk map[string]string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range slices.Sorted(slices.Values(thumbprintMembers[jwk["kty"]])) {
		if i > 0 {
			b.WriteByte(',')
		}
		n, _ := json.Marshal(name) // strings always marshal
		v, _ := json.Marshal(jwk[name])
		b.Write(n)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	sum := sha256.Sum256([]byte(b.String()))
	return b64.EncodeToString(sum[:])
}

// addPrivateMembers adds the private key's members to a public JWK.
func addPrivateMembers(jwk map[string]any, signer crypto.Signer) error {
	switch k := signer.(type) {
	case *rsa.PrivateKey:
		if len(k.Primes) != 2 {
			return errors.New("a multi-prime RSA key has no two-prime JWK")
		}
		// Computed rather than read from Precomputed, which may be unset:
		// the key is never written to.
		p, q, one := k.Primes[0], k.Primes[1], big.NewInt(1)
		for name, v := range map[string]*big.Int{
			"d": k.D, "p": p, "q": q,
			"dp": new(big.Int).Mod(k.D, new(big.Int).Sub(p, one)),
			"dq": new(big.Int).Mod(k.D, new(big.Int).Sub(q, one)),
			"qi": new(big.Int).ModInverse(q, p),
		} {
			jwk[name] = b64.EncodeToString(v.Bytes())
		}
	case *ecdsa.PrivateKey:
		d, err := k.Bytes()
		if err != nil {
			return err
		}
		jwk["d"] = b64.EncodeToString(d)
	case ed25519.PrivateKey:
		jwk["d"] = b64.EncodeToString(k.Seed())
	default:
		return fmt.Errorf("the private members of a %T cannot be read", signer)
	}
	return nil
}

// jwsSignature signs input with alg: with signer for the asymmetric
// algorithms, with secret for HS*, nothing for none.
func jwsSignature(alg string, signer crypto.Signer, secret []byte, input []byte) ([]byte, error) {
	hashes := map[string]crypto.Hash{"256": crypto.SHA256, "384": crypto.SHA384, "512": crypto.SHA512}
	if alg == "none" {
		return nil, nil
	}
	if alg == "EdDSA" {
		if signer == nil {
			return nil, errors.New("alg EdDSA needs a key, not a secret")
		}
		if _, ok := signer.Public().(ed25519.PublicKey); !ok {
			return nil, fmt.Errorf("alg EdDSA does not fit a %T", signer.Public())
		}
		return signer.Sign(rand.Reader, input, crypto.Hash(0))
	}
	family, bits := alg[:min(len(alg), 2)], alg[min(len(alg), 2):]
	h, ok := hashes[bits]
	if !ok {
		return nil, fmt.Errorf("unknown alg %q", alg)
	}
	if family == "HS" {
		if secret == nil {
			return nil, fmt.Errorf("alg %s needs SignProofWithSecret", alg)
		}
		newHash := map[crypto.Hash]func() hash.Hash{
			crypto.SHA256: sha256.New,
			crypto.SHA384: sha512.New384,
			crypto.SHA512: sha512.New,
		}[h]
		mac := hmac.New(newHash, secret)
		mac.Write(input)
		return mac.Sum(nil), nil
	}
	if signer == nil {
		return nil, fmt.Errorf("alg %s needs a key, not a secret", alg)
	}
	digester := h.New()
	digester.Write(input)
	digest := digester.Sum(nil)
	switch family {
	case "RS", "PS":
		if _, ok := signer.Public().(*rsa.PublicKey); !ok {
			return nil, fmt.Errorf("alg %s does not fit a %T", alg, signer.Public())
		}
		if family == "RS" {
			return signer.Sign(rand.Reader, digest, h)
		}
		return signer.Sign(rand.Reader, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h})
	case "ES":
		pub, ok := signer.Public().(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("alg %s does not fit a %T", alg, signer.Public())
		}
		if want, _, _ := dpopPublicJWK(pub); want != alg {
			return nil, fmt.Errorf("alg %s does not fit a key on %s", alg, pub.Curve.Params().Name)
		}
		der, err := signer.Sign(rand.Reader, digest, h)
		if err != nil {
			return nil, err
		}
		var rs struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) != 0 {
			return nil, errors.New("the ECDSA signer did not return an ASN.1 signature")
		}
		size := (pub.Curve.Params().BitSize + 7) / 8
		sig := make([]byte, 2*size)
		rs.R.FillBytes(sig[:size])
		rs.S.FillBytes(sig[size:])
		return sig, nil
	}
	return nil, fmt.Errorf("unknown alg %q", alg)
}
