package core

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DPoPMode says which tokens an Authenticator takes with DPoP proofs
// (RFC 9449). Whatever the mode, a DPoP-bound token (one whose cnf has a
// jkt) is accepted only with a valid proof of its key.
type DPoPMode int

const (
	// DPoPDisabled takes Bearer tokens only; DPoP-bound tokens are refused.
	DPoPDisabled DPoPMode = iota
	// DPoPAllowed takes Bearer tokens and DPoP-bound tokens with proofs.
	DPoPAllowed
	// DPoPRequired takes only DPoP-bound tokens with proofs.
	DPoPRequired
)

// Defaults of DPoPConfig.
const (
	DefaultDPoPProofMaxAge  = time.Minute
	DefaultMaxDPoPProofSize = 8 << 10
	// dpopFutureSkew is how far in the future a proof's iat may be: the
	// client's clock may run a little ahead.
	dpopFutureSkew = 5 * time.Second
)

// ErrInvalidDPoPProof is matched by every DPoPError.
var ErrInvalidDPoPProof = errors.New("identsphere: invalid DPoP proof")

// DPoPError is a DPoP proof that failed a check (401, WWW-Authenticate
// DPoP with error invalid_dpop_proof), or that lacks a current server
// nonce (use_dpop_nonce, with the nonce to use in DPoP-Nonce).
type DPoPError struct {
	// Code is "invalid_dpop_proof" or "use_dpop_nonce".
	Code string
	// Description is a fixed sentence; it never holds the proof.
	Description string
	// Nonce is the nonce to send in DPoP-Nonce, for use_dpop_nonce.
	Nonce string
}

// Error implements error.
func (e *DPoPError) Error() string { return "identsphere: DPoP: " + e.Code + ": " + e.Description }

// Is makes errors.Is(err, ErrInvalidDPoPProof) true.
func (e *DPoPError) Is(target error) bool { return target == ErrInvalidDPoPProof }

func badProof(desc string) error { return &DPoPError{Code: "invalid_dpop_proof", Description: desc} }

// DPoPConfig configures WithDPoP.
type DPoPConfig struct {
	Mode DPoPMode
	// PublicURL is the service's external base URL (scheme://host[:port]),
	// which a proof's htu must name with the request's path. It comes from
	// configuration, never from the request's Host header, which the
	// client chooses. Required unless Mode is DPoPDisabled.
	PublicURL string
	// Algorithms are the proof algorithms accepted. Default: ES256, ES384,
	// ES512, EdDSA, RS256, PS256. none and HS* never.
	Algorithms []string
	// ProofMaxAge is how old a proof (its iat) may be. Default one minute.
	ProofMaxAge time.Duration
	// Nonces, when set, requires server nonces (RFC 9449 section 9).
	Nonces *DPoPNonces
	// Replay remembers accepted proofs. Default: a MemoryReplayCache. For a
	// fleet, one shared by every replica.
	Replay ReplayCache
	// MaxProofSize caps a proof. Default 8 KiB.
	MaxProofSize int
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// Validate checks cfg: WithDPoP panics on a config it refuses, so check
// one read from the environment first.
func (cfg DPoPConfig) Validate() error {
	_, err := newDPoPChecker(cfg)
	return err
}

// WithDPoP makes the Authenticator take DPoP-bound tokens (RFC 9449):
// "Authorization: DPoP <token>" with one "DPoP: <proof>" header, the proof
// checked on every request (the token itself may come from the
// verified-token cache). It panics on an invalid cfg (see Validate).
func WithDPoP(cfg DPoPConfig) Option {
	d, err := newDPoPChecker(cfg)
	if err != nil {
		panic(err.Error())
	}
	return func(a *Authenticator) { a.dpop = d }
}

// dpopChecker checks proofs for one Authenticator.
type dpopChecker struct {
	mode      DPoPMode
	scheme    string // of PublicURL, lower case
	host      string // of PublicURL, lower case, without a default port
	basePath  string // of PublicURL, without a trailing slash
	algs      []string
	algsParam string // algs="..." for WWW-Authenticate
	maxAge    time.Duration
	nonces    *DPoPNonces
	replay    ReplayCache
	maxSize   int
	now       func() time.Time
	keys      proofKeyCache
}

var defaultDPoPAlgorithms = []string{"ES256", "ES384", "ES512", "EdDSA", "RS256", "PS256"}

func newDPoPChecker(cfg DPoPConfig) (*dpopChecker, error) {
	d := &dpopChecker{mode: cfg.Mode, nonces: cfg.Nonces, replay: cfg.Replay}
	switch cfg.Mode {
	case DPoPDisabled, DPoPAllowed, DPoPRequired:
	default:
		return nil, fmt.Errorf("identsphere: unknown DPoPMode %d", cfg.Mode)
	}
	if cfg.Mode != DPoPDisabled {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, fmt.Errorf("identsphere: DPoPConfig.PublicURL must be the service's external base URL, such as https://api.example.com, not %q", cfg.PublicURL)
		}
		d.scheme, d.host, d.basePath = normalizeOrigin(u)
		d.basePath = strings.TrimSuffix(d.basePath, "/") // the request's path follows
	}
	d.algs = slices.Clone(cfg.Algorithms)
	if len(d.algs) == 0 {
		d.algs = slices.Clone(defaultDPoPAlgorithms)
	}
	for _, a := range d.algs {
		if _, ok := algorithms[a]; !ok {
			return nil, fmt.Errorf("identsphere: DPoP proof algorithm %q is not allowed (asymmetric JWS algorithms only)", a)
		}
	}
	d.algsParam = `algs="` + strings.Join(d.algs, " ") + `"`
	d.maxAge = positiveOr(cfg.ProofMaxAge, DefaultDPoPProofMaxAge)
	d.maxSize = positiveOr(cfg.MaxProofSize, DefaultMaxDPoPProofSize)
	d.now = cfg.Now
	if d.now == nil {
		d.now = time.Now
	}
	if d.replay == nil {
		d.replay = NewMemoryReplayCache(0, d.now)
	}
	return d, nil
}

// normalizeOrigin returns a URL's scheme and host in lower case, without
// the scheme's default port, and its path as normalizePath leaves it, "/"
// for an empty one.
func normalizeOrigin(u *url.URL) (scheme, host, path string) {
	scheme, host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	host = strings.TrimSuffix(host, map[string]string{"https": ":443", "http": ":80"}[scheme])
	path = normalizePath(u.EscapedPath())
	if path == "" {
		path = "/"
	}
	return scheme, host, path
}

// normalizePath applies RFC 3986 section 6.2.2's percent-encoding
// normalisation to an escaped path: an escaped unreserved character is
// decoded (%6F is "o") and other escapes are upper-cased (%2f is %2F),
// which stays distinct from "/". Nothing else changes: a trailing slash
// names another resource.
func normalizePath(p string) string {
	if strings.IndexByte(p, '%') < 0 {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' || i+2 >= len(p) || !isHex4([]byte("00"+p[i+1:i+3])) {
			b.WriteByte(p[i])
			continue
		}
		c := unhex(p[i+1])<<4 | unhex(p[i+2])
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
		} else {
			b.WriteString(strings.ToUpper(p[i : i+3]))
		}
		i += 2
	}
	return b.String()
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// checkRequest applies the DPoP rules to a verified token c presented with
// scheme DPoP (dpopScheme) or Bearer; proofs are the DPoP header values.
func (d *dpopChecker) checkRequest(ctx context.Context, r *http.Request, token string, dpopScheme bool, proofs []string, c *Claims) error {
	jkt := c.Confirmation.JKT
	switch {
	case !dpopScheme && jkt != "":
		return tokenErr("dpop", "the token is DPoP-bound and must be presented with the DPoP scheme and a proof", nil)
	case !dpopScheme && len(proofs) > 0:
		return &RequestError{Description: "a DPoP proof was sent with a Bearer token"}
	case !dpopScheme && d.mode == DPoPRequired:
		return tokenErr("dpop", "this service takes DPoP-bound tokens only", nil)
	case !dpopScheme:
		return nil
	case d.mode == DPoPDisabled:
		return &RequestError{Description: "the Authorization scheme must be Bearer"}
	case jkt == "":
		return tokenErr("dpop", "the token is not DPoP-bound", nil)
	case len(proofs) != 1:
		return badProof("exactly one DPoP header is required")
	}
	return d.checkProof(ctx, r, token, proofs[0], jkt)
}

// checkProof checks a proof per RFC 9449 section 4.3, cheapest checks
// first: size and shape, header, the key's thumbprint against the token's
// cnf.jkt (so that a proof by any other key is refused before its
// signature is checked), the signature, then the claims, and last the
// replay cache, which only ever records proofs that passed everything else.
func (d *dpopChecker) checkProof(ctx context.Context, r *http.Request, token, proof, jkt string) error {
	if len(proof) > d.maxSize {
		return badProof("the DPoP proof is too large")
	}
	h, rest, ok1 := strings.Cut(proof, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.IndexByte(s, '.') >= 0 || h == "" || p == "" || s == "" || hasLineBreak(proof) {
		return badProof("the DPoP proof is not a compact JWS")
	}
	header, err := b64.DecodeString(h)
	if err != nil || len(header) > 4<<10 {
		return badProof("the DPoP proof header is not valid")
	}
	ph, err := readProofHeader(header)
	if err != nil {
		return err
	}
	if !slices.Contains(d.algs, ph.alg) {
		return badProof("the DPoP proof's algorithm is not allowed")
	}
	if ph.thumbprint != jkt {
		return badProof("the DPoP proof's key is not the key the token is bound to")
	}
	key, err := d.keys.get(ph)
	if err != nil {
		return err
	}
	if !key.fits(ph.alg) {
		return badProof("the DPoP proof's algorithm does not fit its key")
	}
	sig, err := b64.DecodeString(s)
	if err != nil {
		return badProof("the DPoP proof is not base64url-encoded")
	}
	if err := algorithms[ph.alg].method.Verify(proof[:len(h)+1+len(p)], sig, key.key); err != nil {
		return badProof("the DPoP proof's signature is invalid")
	}
	payload, err := b64.DecodeString(p)
	if err != nil {
		return badProof("the DPoP proof is not base64url-encoded")
	}
	pc, err := readProofClaims(payload)
	if err != nil {
		return err
	}
	now := d.now()
	switch {
	case string(pc.htm) != r.Method:
		return badProof("the DPoP proof is for another method (htm)")
	case !d.sameTarget(string(pc.htu), r):
		return badProof("the DPoP proof is for another URL (htu)")
	case pc.iat.Before(now.Add(-d.maxAge)):
		return badProof("the DPoP proof is too old (iat)")
	case pc.iat.After(now.Add(dpopFutureSkew)):
		return badProof("the DPoP proof is issued in the future (iat)")
	case !sameAccessTokenHash(pc.ath, token):
		return badProof("the DPoP proof is for another access token (ath)")
	}
	if d.nonces != nil && (len(pc.nonce) == 0 || !d.nonces.Valid(string(pc.nonce))) {
		return &DPoPError{Code: "use_dpop_nonce", Description: "the DPoP proof must carry the server's current nonce", Nonce: d.nonces.Current()}
	}
	seen, err := d.replay.Seen(ctx, jkt+":"+string(pc.jti), pc.iat.Add(d.maxAge+dpopFutureSkew))
	switch {
	case err != nil:
		return badProof("the DPoP proof cannot be checked for replay")
	case seen:
		return badProof("the DPoP proof was already used (jti)")
	}
	return nil
}

// sameTarget compares a proof's htu with the request's URL as the public
// base URL names it, ignoring query and fragment (RFC 9449 section 4.3),
// scheme and host case, a default port, and the percent-encoding
// differences RFC 3986 calls equivalent; a trailing slash or an encoded
// slash still makes another URL.
func (d *dpopChecker) sameTarget(htu string, r *http.Request) bool {
	u, err := url.Parse(htu)
	if err != nil || u.Opaque != "" || u.User != nil {
		return false
	}
	scheme, host, path := normalizeOrigin(u)
	want := normalizePath(d.basePath + r.URL.EscapedPath())
	if want == "" {
		want = "/"
	}
	return scheme == d.scheme && host == d.host && path == want
}

// sameAccessTokenHash reports whether ath is the base64url SHA-256 of the
// access token.
func sameAccessTokenHash(ath []byte, token string) bool {
	sum := sha256.Sum256(unsafeBytes(token))
	var enc [43]byte
	base64.RawURLEncoding.Encode(enc[:], sum[:])
	return bytes.Equal(ath, enc[:])
}

// proofHeader is what a proof's header says.
type proofHeader struct {
	alg        string
	jwk        []byte // the raw public JWK
	thumbprint string // its RFC 7638 thumbprint
}

// readProofHeader reads a proof's JOSE header: typ dpop+jwt, an alg, and a
// public jwk (a private key in it is refused: whoever sent it has leaked
// it).
func readProofHeader(header []byte) (proofHeader, error) {
	var ph proofHeader
	typ := ""
	it := newObjectIter(header, maxHeaderMembers)
	for key, value, ok := it.next(); ok; key, value, ok = it.next() {
		switch string(key) {
		case "typ":
			typ, _ = jsonString(value)
		case "alg":
			ph.alg, _ = jsonString(value)
		case "jwk":
			ph.jwk = value
		case "crit", "b64", "zip", "jku", "x5u", "x5c", "kid":
			return ph, badProof("the DPoP proof header has a parameter that is not allowed")
		}
	}
	switch {
	case it.err != nil:
		return ph, badProof("the DPoP proof header is not a valid JSON object")
	case !strings.EqualFold(typ, "dpop+jwt"):
		return ph, badProof(`the DPoP proof's typ is not "dpop+jwt"`)
	case ph.alg == "":
		return ph, badProof("the DPoP proof has no alg")
	case len(ph.jwk) == 0 || ph.jwk[0] != '{':
		return ph, badProof("the DPoP proof has no jwk")
	}
	tp, err := jwkThumbprint(ph.jwk)
	if err != nil {
		return ph, err
	}
	ph.thumbprint = tp
	return ph, nil
}

// jwkThumbprint computes a public JWK's RFC 7638 thumbprint, refusing a JWK
// that holds private key material or a member of the wrong type.
func jwkThumbprint(jwk []byte) (string, error) {
	var kty, crv, x, y, n, e []byte
	it := newObjectIter(jwk, maxHeaderMembers)
	for key, value, ok := it.next(); ok; key, value, ok = it.next() {
		var dst *[]byte
		switch string(key) {
		case "d", "p", "q", "dp", "dq", "qi", "oth", "k":
			return "", badProof("the DPoP proof's jwk holds a private key")
		case "kty":
			dst = &kty
		case "crv":
			dst = &crv
		case "x":
			dst = &x
		case "y":
			dst = &y
		case "n":
			dst = &n
		case "e":
			dst = &e
		default:
			continue
		}
		// The members are base64url or names: an escape or a quote has no
		// place in them, and would change the canonical form.
		raw, isString := rawJSONString(value)
		if !isString || bytes.IndexByte(raw, '\\') >= 0 {
			return "", badProof("the DPoP proof's jwk is not a valid JWK")
		}
		*dst = raw
	}
	if it.err != nil {
		return "", badProof("the DPoP proof's jwk is not a valid JWK")
	}
	buf := make([]byte, 0, 64+len(x)+len(y)+len(n))
	switch string(kty) {
	case "EC":
		buf = append(append(append(append(append(append(append(buf, `{"crv":"`...), crv...), `","kty":"EC","x":"`...), x...), `","y":"`...), y...), `"}`...)
	case "RSA":
		buf = append(append(append(append(append(buf, `{"e":"`...), e...), `","kty":"RSA","n":"`...), n...), `"}`...)
	case "OKP":
		buf = append(append(append(append(append(buf, `{"crv":"`...), crv...), `","kty":"OKP","x":"`...), x...), `"}`...)
	default:
		return "", badProof("the DPoP proof's jwk is not an asymmetric public key")
	}
	sum := sha256.Sum256(buf)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// proofClaims is what a proof's claims say, as raw bytes of the decoded
// payload (unescaped when the JSON escaped them).
type proofClaims struct {
	jti, htm, htu, ath, nonce []byte
	iat                       time.Time
}

// readProofClaims reads a proof's claims strictly; jti, htm, htu, iat and
// ath are required (ath: this library checks proofs only with access
// tokens).
func readProofClaims(payload []byte) (proofClaims, error) {
	var pc proofClaims
	bad := badProof("the DPoP proof's claims are not valid")
	it := newObjectIter(payload, 0)
	for key, value, ok := it.next(); ok; key, value, ok = it.next() {
		var dst *[]byte
		switch string(key) {
		case "jti":
			dst = &pc.jti
		case "htm":
			dst = &pc.htm
		case "htu":
			dst = &pc.htu
		case "ath":
			dst = &pc.ath
		case "nonce":
			dst = &pc.nonce
		case "iat":
			var isTime bool
			if pc.iat, isTime = jsonTime(value); !isTime {
				return pc, bad
			}
			continue
		default:
			continue
		}
		raw, isString := rawJSONString(value)
		if !isString {
			return pc, bad
		}
		if bytes.IndexByte(raw, '\\') >= 0 {
			s, _ := jsonString(value)
			raw = []byte(s)
		}
		*dst = raw
	}
	switch {
	case it.err != nil:
		return pc, bad
	case len(pc.jti) == 0 || len(pc.jti) > 256:
		return pc, badProof("the DPoP proof has no usable jti")
	case len(pc.htm) == 0 || len(pc.htu) == 0:
		return pc, badProof("the DPoP proof has no htm or htu")
	case pc.iat.IsZero():
		return pc, badProof("the DPoP proof has no iat")
	case len(pc.ath) == 0:
		return pc, badProof("the DPoP proof has no ath")
	}
	return pc, nil
}

// proofKeyCache keeps the parsed keys of recent proofs by their JWK, so
// that a client's key is parsed and checked once, not on every request.
// Only keys whose thumbprint matched a verified token's cnf.jkt get here.
// Reads take no lock; parsing, rare, is serialised (the key checks keep
// state).
type proofKeyCache struct {
	m       sync.Map // RFC 7638 thumbprint → *verificationKey
	n       atomic.Int64
	parseMu sync.Mutex
	checks  keyChecks
}

const maxProofKeys = 4096

func (c *proofKeyCache) get(ph proofHeader) (*verificationKey, error) {
	if k, ok := c.m.Load(ph.thumbprint); ok {
		return k.(*verificationKey), nil
	}
	c.parseMu.Lock()
	parsed := parseJWK(ph.jwk, &c.checks)
	c.parseMu.Unlock()
	if parsed.reject != "" {
		return nil, badProof("the DPoP proof's key is not acceptable: " + parsed.reject)
	}
	k := &parsed.verificationKey
	if c.n.Add(1) > maxProofKeys {
		c.m.Clear() // a few thousand clients' keys: parse them again
		c.n.Store(1)
	}
	c.m.Store(ph.thumbprint, k)
	return k, nil
}

// challenge rewrites an answer's WWW-Authenticate for an Authenticator that
// takes DPoP (RFC 9449 section 7.1): the DPoP scheme with the accepted
// algorithms, beside Bearer where both are accepted.
func (d *dpopChecker) challenge(resp *ErrorResponse, r *http.Request, realm string) {
	if d.mode == DPoPDisabled || resp.Status != http.StatusUnauthorized && resp.Status != http.StatusBadRequest {
		return
	}
	usedDPoP := false
	if v := r.Header["Authorization"]; len(v) == 1 && len(v[0]) > 5 && strings.EqualFold(v[0][:5], "DPoP ") {
		usedDPoP = true
	}
	switch {
	case resp.Code == "invalid_dpop_proof" || resp.Code == "use_dpop_nonce":
		resp.WWWAuthenticate = `DPoP error="` + resp.Code + `", ` + d.algsParam
	case resp.Code == "" && d.mode == DPoPRequired: // no token
		resp.WWWAuthenticate = `DPoP realm="` + safeText(realm, true) + `", ` + d.algsParam
	case resp.Code == "":
		resp.WWWAuthenticate = `Bearer realm="` + safeText(realm, true) + `", DPoP ` + d.algsParam
	case usedDPoP || d.mode == DPoPRequired:
		resp.WWWAuthenticate = `DPoP error="` + resp.Code + `", ` + d.algsParam
	}
}
