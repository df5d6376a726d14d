package authcases

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// Sender-constrained tokens: DPoP (RFC 9449) and certificate-bound tokens
// (RFC 8705). Every adapter serves the routes of DPoPRoutes and CertRoutes
// besides the table's, each behind its own Middleware(v, route.Option()).

// The routes served with DPoP on, and with certificate binding.
const (
	PathDPoP         = "/api/dpop"          // GET and POST: DPoPAllowed
	PathDPoPNonce    = "/api/dpop-nonce"    // GET: DPoPAllowed with server nonces
	PathDPoPRequired = "/api/dpop-required" // GET: DPoPRequired
	PathMTLS         = "/api/mtls"          // GET: the client certificate from a trusted proxy's header
	PathMTLSDistrust = "/api/mtls-distrust" // GET: the same header, from a proxy that is not trusted
)

// DPoPPublicURL is the external base URL the DPoP routes are configured
// with: a proof's htu names it, whatever Host the request carries (the
// routes are reached on loopback).
const DPoPPublicURL = "https://orders.example"

// CertHeader is the header in which the trusted proxy (loopback, where the
// tests run) passes the client certificate, URL-encoded PEM.
const CertHeader = "X-Client-Cert"

// dpopAlgs is the algs parameter of the DPoP challenges: core's defaults.
const dpopAlgs = `algs="ES256 ES384 ES512 EdDSA RS256 PS256"`

// Challenges of the DPoP routes (RFC 9449 section 7.1).
const (
	ChallengeDPoPProof    = `DPoP error="invalid_dpop_proof", ` + dpopAlgs
	ChallengeDPoPNonce    = `DPoP error="use_dpop_nonce", ` + dpopAlgs
	ChallengeDPoPToken    = `DPoP error="invalid_token", ` + dpopAlgs
	ChallengeDPoPMissing  = `Bearer realm="identsphere", DPoP ` + dpopAlgs
	ChallengeDPoPRequired = `DPoP realm="identsphere", ` + dpopAlgs
)

// Route is a route of the table served with options of its own.
type Route struct {
	Path    string   // the route's path
	Methods []string // the methods it is served for
	options func() []core.Option
}

// Options returns the route's Authenticator options. Each call makes new
// ones, with a replay cache of their own: give each adapter its own.
func (r Route) Options() []core.Option { return r.options() }

// DPoPRoutes are the routes served with DPoP on.
func DPoPRoutes() []Route {
	dpop := func(mode core.DPoPMode, nonces bool) func() []core.Option {
		return func() []core.Option {
			cfg := core.DPoPConfig{Mode: mode, PublicURL: DPoPPublicURL, Replay: core.NewMemoryReplayCache(4096, nil)}
			if nonces {
				cfg.Nonces = DPoPNonces()
			}
			d, err := core.NewDPoP(cfg)
			if err != nil { // a fixed configuration: a bug here, not an input
				panic(err)
			}
			return []core.Option{core.WithDPoP(d)}
		}
	}
	return []Route{
		{PathDPoP, []string{http.MethodGet, http.MethodPost}, dpop(core.DPoPAllowed, false)},
		{PathDPoPNonce, []string{http.MethodGet}, dpop(core.DPoPAllowed, true)},
		{PathDPoPRequired, []string{http.MethodGet}, dpop(core.DPoPRequired, false)},
	}
}

// CertRoutes are the routes that take the client certificate from
// CertHeader: from loopback, where the tests run, and from a range that
// excludes it.
func CertRoutes() []Route {
	binding := func(trusted string) func() []core.Option {
		return func() []core.Option {
			return []core.Option{
				core.WithCertificateBinding(
					core.CertificateBinding{
						Header:         CertHeader,
						TrustedProxies: []netip.Prefix{netip.MustParsePrefix(trusted)},
					},
				),
			}
		}
	}
	return []Route{
		{PathMTLS, []string{http.MethodGet}, binding("127.0.0.0/8")},
		{PathMTLSDistrust, []string{http.MethodGet}, binding("10.0.0.0/8")},
	}
}

// The server nonces of PathDPoPNonce run on a fixed clock, so that the
// nonce a case expects is the one every adapter answers with, whenever the
// table runs.
var (
	dpopNonceSecret = []byte("authcases DPoP nonce secret, 32+")
	dpopNonceClock  = time.Date(2030, 1, 1, 12, 30, 0, 0, time.UTC)
)

const dpopNoncePeriod = time.Hour

// DPoPNonces returns the nonces PathDPoPNonce is served with.
func DPoPNonces() *core.DPoPNonces {
	return nonces(dpopNonceSecret, dpopNonceClock)
}

func nonces(secret []byte, at time.Time) *core.DPoPNonces {
	n, err := core.NewDPoPNonces(secret, dpopNoncePeriod, func() time.Time { return at })
	if err != nil {
		panic(err) // a fixed secret refused is a broken fixture
	}
	return n
}

// dpopCases is the catalogue's section on sender-constrained tokens: for
// each hostile input of RFC 9449 section 4.3 (and 7, 8, 9, 11) and of RFC
// 8705, the answer every adapter must give.
func dpopCases(e *Env) []Case {
	iss := e.Issuer
	mint := func(claims authtest.Claims) string { return iss.MustMint(claims) }
	key := mustDPoPKey()
	other := mustDPoPKey()
	ed := mustDPoPKey(authtest.DPoPKeyEd25519())
	rsa := mustDPoPKey(authtest.DPoPKeySigner(testkeys.RSA2()))
	weak := mustDPoPKey(authtest.DPoPKeySigner(testkeys.RSA1024()))

	bound := mint(authtest.BoundTo(key))
	plain := mint(nil)
	target := DPoPPublicURL + PathDPoP
	proof := func(opts ...authtest.ProofOption) string { return key.Proof(http.MethodGet, target, bound, opts...) }
	dpop := func(token string) []string { return []string{"DPoP " + token} }
	okDPoP := func(name string, c Case) Case {
		c.Name, c.Status = "DPoP: "+name, http.StatusOK
		if c.Path == "" {
			c.Path = PathDPoP
		}
		if c.Auth == nil {
			c.Auth = dpop(bound)
		}
		return c
	}
	refused := func(name, challenge, code string, c Case) Case {
		c.Name, c.Status, c.Challenge, c.Code = "DPoP: "+name, http.StatusUnauthorized, challenge, code
		if c.Path == "" {
			c.Path = PathDPoP
		}
		if c.Auth == nil {
			c.Auth = dpop(bound)
		}
		return c
	}
	badProof := func(name string, proofs []string, why ...string) Case {
		return refused(name, ChallengeDPoPProof, "invalid_dpop_proof", Case{DPoP: proofs, Why: strings.Join(why, " ")})
	}
	one := func(p string) []string { return []string{p} }
	now := time.Now()
	// A key outside the proof-key limits: the token bound to it, its proof
	// for GET target.
	type limitKey struct{ token, proof string }
	realKey := func(signer crypto.Signer) limitKey {
		k := mustDPoPKey(authtest.DPoPKeySigner(signer))
		token := mint(authtest.BoundTo(k))
		return limitKey{token, k.Proof(http.MethodGet, target, token)}
	}
	// craftedKey names jwk, whose private half nobody holds, in a proof
	// signed by signer, its signature replaced by junkSig zero bytes when
	// junkSig > 0.
	craftedKey := func(jwk map[string]string, signer crypto.Signer, alg string, junkSig int) limitKey {
		token := mint(authtest.Claims{"cnf": map[string]string{"jkt": authtest.JWKThumbprint(jwk)}})
		p := key.Proof(
			http.MethodGet,
			target,
			token,
			authtest.SignProofWithKey(signer),
			authtest.WithProofAlg(alg),
			authtest.WithProofHeader("jwk", jwk),
		)
		if junkSig > 0 {
			p = stripSignature(p) + base64.RawURLEncoding.EncodeToString(make([]byte, junkSig))
		}
		return limitKey{token, p}
	}
	keyLimit := func(name string, k limitKey, description string, why ...string) Case {
		c := badProof(name, one(k.proof), why...)
		c.Auth, c.Description = dpop(k.token), description
		return c
	}

	first := okDPoP("first use of a proof", Case{DPoP: one(proof())})
	replayed := refused(
		"replayed proof",
		ChallengeDPoPProof,
		"invalid_dpop_proof",
		Case{DPoP: first.DPoP, Before: []Case{first}},
	)
	usedJTI := proof(authtest.WithProofJTI("jti-used-once"))
	firstJTI := okDPoP("first use of a jti", Case{DPoP: one(usedJTI)})
	nonceTarget := DPoPPublicURL + PathDPoPNonce
	current := DPoPNonces().Current()
	stale := nonces(dpopNonceSecret, dpopNonceClock.Add(-2*dpopNoncePeriod)).Current()
	foreign := nonces([]byte("another service's nonce secret!!"), dpopNonceClock).Current()
	cert := mustClientCertificate()
	otherCert := mustClientCertificate()
	certBound := mint(authtest.CertificateBoundTo(cert))
	certHeader := func(c *authtest.ClientCertificate) map[string]string {
		return map[string]string{CertHeader: url.QueryEscape(string(c.PEM()))}
	}
	mtlsRefused := func(name string, c Case) Case {
		c.Name, c.Status, c.Challenge, c.Code = "mTLS: "+name, http.StatusUnauthorized, ChallengeToken, "invalid_token"
		if c.Path == "" {
			c.Path = PathMTLS
		}
		if c.Auth == nil {
			c.Auth = bearer(certBound)
		}
		return c
	}

	return []Case{
		// Admitted.
		okDPoP("bound token with a proof", Case{DPoP: one(proof())}),
		okDPoP("POST", Case{Method: http.MethodPost, DPoP: one(key.Proof(http.MethodPost, target, bound))}),
		okDPoP("scheme is case-insensitive", Case{Auth: []string{"dpop " + bound}, DPoP: one(proof())}),
		okDPoP(
			"query-only difference",
			Case{
				Path: PathDPoP + "?page=2",
				DPoP: one(proof(authtest.WithProofClaims(authtest.Claims{"htu": target + "?page=1"}))),
				Why: "htu is compared without query and fragment (RFC 9449 section 4.3), so a proof for another " +
					"query of the same resource passes",
			},
		),
		okDPoP("request with a query, htu without", Case{Path: PathDPoP + "?page=2", DPoP: one(proof())}),
		okDPoP(
			"htu with a fragment",
			Case{DPoP: one(proof(authtest.WithProofClaims(authtest.Claims{"htu": target + "#top"})))},
		),
		okDPoP(
			"htu scheme and host in upper case, default port",
			Case{
				DPoP: one(
					proof(authtest.WithProofClaims(authtest.Claims{"htu": "HTTPS://ORDERS.EXAMPLE:443" + PathDPoP})),
				),
				Why: "RFC 9449 section 4.3 compares htu after syntax-based normalisation (RFC 3986 section 6.2.2)",
			},
		),
		okDPoP("EdDSA proof", Case{}.withToken(mint(authtest.BoundTo(ed)), ed, target)),
		okDPoP("RS256 proof", Case{}.withToken(mint(authtest.BoundTo(rsa)), rsa, target)),
		okDPoP(
			"PS256 proof",
			Case{}.withToken(mint(authtest.BoundTo(rsa)), rsa, target, authtest.WithProofAlg("PS256")),
		),
		okDPoP("unbound token as Bearer on a DPoP route", Case{Auth: bearer(plain)}),
		okDPoP(
			"proof with the current nonce",
			Case{
				Path: PathDPoPNonce,
				DPoP: one(key.Proof(http.MethodGet, nonceTarget, bound, authtest.WithProofNonce(current))),
			},
		),
		okDPoP(
			"bound token on a route that requires DPoP",
			Case{Path: PathDPoPRequired, DPoP: one(key.Proof(http.MethodGet, DPoPPublicURL+PathDPoPRequired, bound))},
		),

		// Replays (RFC 9449 section 11.1).
		replayed,
		refused(
			"new proof reusing a jti",
			ChallengeDPoPProof,
			"invalid_dpop_proof",
			Case{
				DPoP: one(
					proof(authtest.WithProofJTI("jti-used-once"), authtest.WithProofIAT(now.Add(-time.Second))),
				),
				Before: []Case{firstJTI},
			},
		),

		// The request the proof is for.
		badProof("proof for another method", one(key.Proof(http.MethodPost, target, bound))),
		badProof(
			"htm in lower case",
			one(key.Proof("get", target, bound)),
			"HTTP methods are case-sensitive (RFC 9110 section 9.1)",
		),
		badProof("proof for another path", one(key.Proof(http.MethodGet, DPoPPublicURL+"/api/other", bound))),
		badProof("proof for a path prefix", one(key.Proof(http.MethodGet, DPoPPublicURL+"/api", bound))),
		badProof("proof for another host", one(key.Proof(http.MethodGet, "https://evil.example"+PathDPoP, bound))),
		badProof("proof for http", one(key.Proof(http.MethodGet, "http://orders.example"+PathDPoP, bound))),
		badProof(
			"proof for another port",
			one(key.Proof(http.MethodGet, "https://orders.example:8443"+PathDPoP, bound)),
		),
		{Name: "DPoP: proof for the host the request claims", Path: PathDPoP, Auth: dpop(bound),
			DPoP:   one(key.Proof(http.MethodGet, "https://evil.example"+PathDPoP, bound)),
			Header: map[string]string{"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
			Status: 401, Challenge: ChallengeDPoPProof, Code: "invalid_dpop_proof",
			Why: "htu is compared with the configured public URL, never with Host or X-Forwarded-* the client chooses"},
		badProof(
			"htu with user info",
			one(proof(authtest.WithProofClaims(authtest.Claims{"htu": "https://user@orders.example" + PathDPoP}))),
		),
		badProof("htu relative", one(proof(authtest.WithProofClaims(authtest.Claims{"htu": PathDPoP})))),

		// Time (RFC 9449 section 11.1).
		badProof("iat too old", one(proof(authtest.WithProofIAT(now.Add(-2*core.DefaultDPoPProofMaxAge))))),
		badProof("iat in the future", one(proof(authtest.WithProofIAT(now.Add(time.Minute))))),
		badProof("iat missing", one(proof(authtest.WithProofClaims(authtest.Claims{"iat": nil})))),
		badProof("iat as a string", one(proof(authtest.WithProofClaims(authtest.Claims{"iat": itoa(now.Unix())})))),

		// The token the proof is for.
		badProof("ath of another token", one(key.Proof(http.MethodGet, target, plain))),
		badProof("ath missing", one(proof(authtest.WithProofClaims(authtest.Claims{"ath": nil}))),
			"the proof must bind the access token it is sent with (RFC 9449 section 4.3, check 12)"),
		badProof("jti missing", one(proof(authtest.WithProofClaims(authtest.Claims{"jti": nil})))),
		badProof("jti empty", one(proof(authtest.WithProofJTI("")))),
		badProof("jti too long", one(proof(authtest.WithProofJTI(strings.Repeat("j", 257))))),

		// The key.
		badProof(
			"proof by another key",
			one(proof(authtest.SignProofWithKey(other.Signer()), authtest.WithProofHeader("jwk", other.PublicJWK()))),
			"a valid proof, of a key that is not the token's cnf.jkt",
		),
		badProof("signature by another key", one(proof(authtest.SignProofWithKey(other.Signer())))),
		badProof("private key in the jwk", one(proof(authtest.WithPrivateJWK())),
			"a client that sends its private key has leaked it (RFC 9449 section 4.3, check 7)"),
		badProof("jwk missing", one(proof(authtest.WithProofHeader("jwk", nil)))),
		badProof("jwk is a string", one(proof(authtest.WithProofHeader("jwk", key.Thumbprint())))),
		badProof(
			"symmetric jwk",
			one(proof(authtest.WithProofHeader("jwk", map[string]string{"kty": "oct", "k": "c2VjcmV0"}))),
		),
		refused(
			"proof by an RSA-1024 key",
			ChallengeDPoPProof,
			"invalid_dpop_proof",
			Case{}.withToken(mint(authtest.BoundTo(weak)), weak, target),
		),

		// The proof key's limits: the client chooses the key whose signature
		// is checked on every request, so its cost is bounded before any
		// signature work (each refusal names the limit).
		keyLimit(
			"proof by an RSA-4096 key, over the default 2048 bits",
			realKey(testkeys.RSA4096()),
			"RSA key must have 2048 bits",
		),
		keyLimit("proof by an RSA-4160 key", realKey(testkeys.RSA4160()), "RSA key must have 2048 bits"),
		keyLimit("proof by an RSA key with the exponent 3", realKey(testkeys.RSAExponent3()), "exponent 65537"),
		keyLimit(
			"RSA-16384 key with the exponent 2^31-1 and a junk signature",
			craftedKey(oversizedRSAJWK(), testkeys.RSA2(), "RS256", 2048),
			"header is over 1536 characters",
			"the review's repro: unlimited, each such request cost 120-850 RSA-2048 checks, junk signature or not",
		),
		keyLimit(
			"RSA-2048 key with the exponent 2^31-1",
			craftedKey(
				map[string]string{"kty": "RSA", "n": rsaModulus(testkeys.RSA2()), "e": "f____w"},
				testkeys.RSA2(),
				"RS256",
				0,
			),
			"exponent 65537",
		),
		keyLimit("EC key on P-224", craftedKey(p224JWK(), testkeys.EC(), "ES256", 0), "P-256, P-384 or P-521"),
		keyLimit(
			"EC key on secp256k1",
			craftedKey(
				map[string]string{"kty": "EC", "crv": "secp256k1", "x": ecX(), "y": ecX()},
				testkeys.EC(),
				"ES256",
				0,
			),
			"P-256, P-384 or P-521",
		),
		keyLimit(
			"X25519 key",
			craftedKey(map[string]string{"kty": "OKP", "crv": "X25519", "x": edX()}, testkeys.Ed25519(), "EdDSA", 0),
			"Ed25519",
		),
		keyLimit(
			"Ed25519 small-order key",
			craftedKey(
				map[string]string{"kty": "OKP", "crv": "Ed25519", "x": "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
				testkeys.Ed25519(),
				"EdDSA",
				64,
			),
			"small-order",
		),

		// The algorithm (RFC 9449 section 4.3, check 5).
		badProof("alg none", one(proof(authtest.WithProofAlg("none")))),
		badProof("alg None", one(proof(authtest.WithProofAlg("none"), authtest.WithProofHeader("alg", "None")))),
		badProof("HS256", one(proof(authtest.SignProofWithSecret([]byte(key.Thumbprint()))))),
		badProof(
			"HS256 keyed with the jwk's x",
			one(proof(authtest.SignProofWithSecret([]byte(key.PublicJWK()["x"].(string))))),
		),
		badProof("ES384 header on a P-256 key", one(proof(authtest.WithProofHeader("alg", "ES384")))),
		badProof("RS256 header on an EC key", one(proof(authtest.WithProofHeader("alg", "RS256")))),

		// The header.
		badProof("typ JWT", one(proof(authtest.WithProofHeader("typ", "JWT")))),
		badProof("typ missing", one(proof(authtest.WithProofHeader("typ", nil)))),
		badProof("typ of an access token", one(proof(authtest.WithProofHeader("typ", "at+jwt")))),
		badProof("jku to a server of the attacker", one(proof(authtest.WithProofHeader("jku", e.Trap.URL+"/jwks")))),
		badProof("x5u to a server of the attacker", one(proof(authtest.WithProofHeader("x5u", e.Trap.URL+"/cert")))),
		badProof("crit header", one(proof(authtest.WithProofHeader("crit", []string{"exp"})))),

		// Shapes and sizes.
		badProof(
			"oversized proof",
			one(
				proof(
					authtest.WithProofClaims(authtest.Claims{"pad": strings.Repeat("A", core.DefaultMaxDPoPProofSize)}),
				),
			),
			"refused by its size before any parsing",
		),
		badProof("unsigned proof", one(stripSignature(proof()))),
		badProof("proof that is not a JWS", one("x.y.z")),
		badProof("JWE shape", one("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d")),
		badProof("access token as its own proof", one(bound)),
		badProof("empty DPoP header", one("")),
		badProof(
			"two DPoP headers",
			[]string{proof(), proof()},
			"RFC 9449 section 4.3, check 1: exactly one DPoP header",
		),
		badProof("no DPoP header", nil),

		// Token and scheme.
		refused("DPoP-bound token as Bearer", ChallengeToken, "invalid_token", Case{Auth: bearer(bound)}),
		refused(
			"DPoP-bound token as Bearer with a proof",
			ChallengeToken,
			"invalid_token",
			Case{Auth: bearer(bound), DPoP: one(proof()),
				Why: "a bound token is refused with the Bearer scheme whatever comes with it (RFC 9449 section 7.2)"},
		),
		{
			Name:      "DPoP: Bearer token with a stray proof",
			Path:      PathDPoP,
			Auth:      bearer(plain),
			DPoP:      one(key.Proof(http.MethodGet, target, plain)),
			Status:    400,
			Challenge: ChallengeRequest,
			Code:      "invalid_request",
			Why:       "a proof beside a Bearer token is a confused client; refusing it keeps the scheme unambiguous",
		},
		refused(
			"unbound token with the DPoP scheme",
			ChallengeDPoPToken,
			"invalid_token",
			Case{Auth: dpop(plain), DPoP: one(key.Proof(http.MethodGet, target, plain))},
		),
		refused("expired bound token with a proof", ChallengeDPoPToken, "invalid_token",
			Case{}.withToken(mint(authtest.BoundTo(key, authtest.Claims{"exp": now.Add(-time.Hour)})), key, target)),
		refused("token bound by a cnf method not understood", ChallengeDPoPToken, "invalid_token",
			Case{}.withToken(mint(authtest.Claims{"cnf": map[string]any{"jwk": key.PublicJWK()}}), key, target)),
		refused("no token", ChallengeDPoPMissing, "", Case{Auth: []string{}}),
		{
			Name:      "DPoP: DPoP and Bearer together",
			Path:      PathDPoP,
			Auth:      []string{"DPoP " + bound, "Bearer " + plain},
			DPoP:      one(proof()),
			Status:    400,
			Challenge: ChallengeRequest,
			Code:      "invalid_request",
		},
		{
			Name:      "DPoP: bound token on a route without DPoP",
			Auth:      bearer(bound),
			Status:    401,
			Challenge: ChallengeToken,
			Code:      "invalid_token",
		},
		invalidRequest("DPoP scheme on a route without DPoP", "DPoP "+bound),

		// Server nonces (RFC 9449 section 8).
		refused("missing nonce", ChallengeDPoPNonce, "use_dpop_nonce",
			Case{Path: PathDPoPNonce, DPoP: one(key.Proof(http.MethodGet, nonceTarget, bound)), Nonce: current}),
		refused(
			"stale nonce",
			ChallengeDPoPNonce,
			"use_dpop_nonce",
			Case{
				Path:  PathDPoPNonce,
				DPoP:  one(key.Proof(http.MethodGet, nonceTarget, bound, authtest.WithProofNonce(stale))),
				Nonce: current,
			},
		),
		refused(
			"nonce of another server",
			ChallengeDPoPNonce,
			"use_dpop_nonce",
			Case{
				Path:  PathDPoPNonce,
				DPoP:  one(key.Proof(http.MethodGet, nonceTarget, bound, authtest.WithProofNonce(foreign))),
				Nonce: current,
			},
		),
		refused(
			"nonce as a number",
			ChallengeDPoPProof,
			"invalid_dpop_proof",
			Case{
				Path: PathDPoPNonce,
				DPoP: one(
					key.Proof(
						http.MethodGet,
						nonceTarget,
						bound,
						authtest.WithProofClaims(authtest.Claims{"nonce": 7}),
					),
				),
			},
		),
		refused("bad proof on a nonce route", ChallengeDPoPProof, "invalid_dpop_proof",
			Case{Path: PathDPoPNonce, DPoP: one(key.Proof(http.MethodPost, nonceTarget, bound)),
				Why: "the proof's own faults come before its nonce: no nonce " +
					"is given out for a proof that could never pass"}),

		// A route that requires DPoP.
		refused(
			"Bearer token where DPoP is required",
			ChallengeDPoPToken,
			"invalid_token",
			Case{Path: PathDPoPRequired, Auth: bearer(plain)},
		),
		refused(
			"no token where DPoP is required",
			ChallengeDPoPRequired,
			"",
			Case{Path: PathDPoPRequired, Auth: []string{}},
		),

		// Certificate-bound tokens (RFC 8705), the certificate from a
		// TLS-terminating proxy.
		{
			Name:   "mTLS: bound token with its certificate",
			Path:   PathMTLS,
			Auth:   bearer(certBound),
			Header: certHeader(cert),
			Status: http.StatusOK,
		},
		{Name: "mTLS: unbound token without a certificate", Path: PathMTLS, Auth: bearer(plain), Status: http.StatusOK},
		mtlsRefused("bound token with another certificate", Case{Header: certHeader(otherCert)}),
		mtlsRefused("bound token without a certificate", Case{}),
		mtlsRefused("certificate that is not URL-encoded PEM", Case{Header: map[string]string{CertHeader: "MIIB%zz"}}),
		mtlsRefused(
			"certificate header from a proxy that is not trusted",
			Case{Path: PathMTLSDistrust, Header: certHeader(cert),
				Why: "the header is believed only from the configured proxies; anyone else could name any certificate"},
		),
		mtlsRefused(
			"certificate-bound token on a route without the header",
			Case{Path: PathMe, Header: certHeader(cert)},
		),
		refused(
			"token bound to a key and a certificate, with a proof only",
			ChallengeDPoPToken,
			"invalid_token",
			Case{}.withToken(
				mint(authtest.Claims{"cnf": map[string]string{"jkt": key.Thumbprint(), "x5t#S256": cert.Thumbprint()}}),
				key,
				target,
			),
		),
	}
}

// withToken sets c's Auth to "DPoP token" and its proof to one by key for
// GET target.
func (c Case) withToken(token string, key *authtest.DPoPKey, target string, opts ...authtest.ProofOption) Case {
	c.Auth = []string{"DPoP " + token}
	c.DPoP = []string{key.Proof(http.MethodGet, target, token, opts...)}
	return c
}

// oversizedRSAJWK is an RSA-16384 public key with the exponent 2^31-1.
func oversizedRSAJWK() map[string]string {
	n := bytes.Repeat([]byte{0xd3}, 2048)
	return map[string]string{"kty": "RSA", "n": base64.RawURLEncoding.EncodeToString(n), "e": "f____w"}
}

func rsaModulus(k *rsa.PrivateKey) string { return base64.RawURLEncoding.EncodeToString(k.N.Bytes()) }

// p224JWK is a public key on P-224, a curve no proof key may use.
func p224JWK() map[string]string {
	k, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return map[string]string{"kty": "EC", "crv": "P-224",
		"x": base64.RawURLEncoding.EncodeToString(
			k.X.FillBytes(make([]byte, 28)),
		), "y": base64.RawURLEncoding.EncodeToString(k.Y.FillBytes(make([]byte, 28)))}
}

// ecX is a 32-byte coordinate; edX a 32-byte Ed25519 public key.
func ecX() string {
	return base64.RawURLEncoding.EncodeToString(testkeys.EC().X.FillBytes(make([]byte, 32)))
}
func edX() string {
	return base64.RawURLEncoding.EncodeToString(testkeys.Ed25519().Public().(ed25519.PublicKey))
}

func mustDPoPKey(opts ...authtest.DPoPKeyOption) *authtest.DPoPKey {
	k, err := authtest.GenerateDPoPKey(opts...)
	if err != nil {
		panic(err)
	}
	return k
}

func mustClientCertificate() *authtest.ClientCertificate {
	c, err := authtest.GenerateClientCertificate("orders-client")
	if err != nil {
		panic(err)
	}
	return c
}
