package core

import (
	"context"
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

	"github.com/identsphere/identsphere-go/internal/jose"
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
	// MaxProofRSABits is the largest RSA proof key accepted, in bits:
	// 2048 (the default) to 4096. Each request checks its proof's
	// signature, and Go's crypto/rsa has a fast path for 2048-bit moduli
	// only: a proof under RSA-4096 costs about 10× one under RSA-2048
	// (BenchmarkDPoPProofKeys). Raise it only for clients that cannot use
	// EC, Ed25519 or RSA-2048 keys. Keys under 2048 bits, and exponents
	// other than 65537, are never accepted (see dpop_keylimits.go).
	MaxProofRSABits int
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// Validate reports what NewDPoP would refuse in cfg, without building a
// checker: for a configuration read at start-up.
func (cfg DPoPConfig) Validate() error {
	_, err := newDPoPChecker(cfg)
	return err
}

// DPoP checks DPoP proofs (RFC 9449) for the Authenticators it is given
// to with WithDPoP. Build it with NewDPoP.
type DPoP struct {
	checker *dpopChecker
}

// NewDPoP checks cfg and returns the DPoP checker it describes, or an error
// that says what to fix: an unknown mode, a PublicURL that is not a base
// URL, a proof algorithm that is not an asymmetric JWS algorithm, a
// MaxProofRSABits out of bounds.
func NewDPoP(cfg DPoPConfig) (*DPoP, error) {
	c, err := newDPoPChecker(cfg)
	if err != nil {
		return nil, err
	}
	return &DPoP{checker: c}, nil
}

// WithDPoP makes the Authenticator take DPoP-bound tokens (RFC 9449):
// "Authorization: DPoP <token>" with one "DPoP: <proof>" header, the proof
// checked on every request (the token itself may come from the
// verified-token cache), as d says. Several Authenticators may share one d
// (and so its replay cache). A nil d is the nil of a NewDPoP whose error
// went unchecked: WithDPoP panics on it, since taking it for "DPoP off"
// would admit Bearer tokens where DPoPRequired was meant.
func WithDPoP(d *DPoP) Option {
	if d == nil {
		panic("identsphere: WithDPoP needs the *DPoP of NewDPoP, got nil (did NewDPoP fail with an unchecked error?)")
	}
	return optionFunc(func(s *settings) { s.dpop = d.checker })
}

// dpopChecker checks proofs for one Authenticator.
type dpopChecker struct {
	mode      DPoPMode
	scheme    string // of PublicURL, lower case
	host      string // of PublicURL, lower case, without a default port
	basePath  string // of PublicURL, without a trailing slash
	origin    string // scheme://host
	algs      []string
	algsParam string // algs="..." for WWW-Authenticate
	maxAge    time.Duration
	nonces    *DPoPNonces
	replay    ReplayCache
	maxSize   int
	limits    proofKeyLimits
	now       func() time.Time
	headers   proofHeaderCache
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
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" ||
			u.Fragment != "" ||
			u.User != nil {
			return nil, fmt.Errorf(
				"identsphere: DPoPConfig.PublicURL must be the service's external base URL, such as "+
					"https://api.example.com, not %q",
				cfg.PublicURL,
			)
		}
		d.scheme, d.host, d.basePath = normalizeOrigin(u)
		d.basePath = strings.TrimSuffix(d.basePath, "/") // the request's path follows
		d.origin = d.scheme + "://" + d.host
	}
	d.algs = slices.Clone(cfg.Algorithms)
	if len(d.algs) == 0 {
		d.algs = slices.Clone(defaultDPoPAlgorithms)
	}
	for _, a := range d.algs {
		if _, ok := jose.LookupAlgorithm(a); !ok {
			return nil, fmt.Errorf(
				"identsphere: DPoP proof algorithm %q is not allowed (asymmetric JWS algorithms only)",
				a,
			)
		}
	}
	d.algsParam = `algs="` + strings.Join(d.algs, " ") + `"`
	d.maxAge = positiveOr(cfg.ProofMaxAge, DefaultDPoPProofMaxAge)
	d.maxSize = positiveOr(cfg.MaxProofSize, DefaultMaxDPoPProofSize)
	limits, err := newProofKeyLimits(cfg.MaxProofRSABits)
	if err != nil {
		return nil, err
	}
	d.limits = limits
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
		if p[i] != '%' || i+2 >= len(p) || !isHexDigit(p[i+1]) || !isHexDigit(p[i+2]) {
			b.WriteByte(p[i])
			continue
		}
		c := unhex(p[i+1])<<4 | unhex(p[i+2])
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' ||
			c == '~' {
			b.WriteByte(c)
		} else {
			b.WriteString(strings.ToUpper(p[i : i+3]))
		}
		i += 2
	}
	return b.String()
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
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
// scheme DPoP (dpopScheme) or Bearer; proofs are the DPoP header values;
// ath is the token's hash if known, "" to compute it.
func (d *dpopChecker) checkRequest(
	ctx context.Context,
	r *Call,
	token, ath string,
	dpopScheme bool,
	proofs []string,
	c *Claims,
) error {
	jkt := c.Confirmation.JKT
	switch {
	case !dpopScheme && jkt != "":
		return tokenErr(
			CheckDPoP,
			"the token is DPoP-bound and must be presented with the DPoP scheme and a proof",
			nil,
		)
	case !dpopScheme && len(proofs) > 0:
		return &RequestError{Description: "a DPoP proof was sent with a Bearer token"}
	case !dpopScheme && d.mode == DPoPRequired:
		return tokenErr(CheckDPoP, "this service takes DPoP-bound tokens only", nil)
	case !dpopScheme:
		return nil
	case d.mode == DPoPDisabled:
		return &RequestError{Description: "the Authorization scheme must be Bearer"}
	case jkt == "":
		return tokenErr(CheckDPoP, "the token is not DPoP-bound", nil)
	case len(proofs) != 1:
		return badProof("exactly one DPoP header is required")
	}
	if ath == "" {
		ath = accessTokenHash(token)
	}
	return d.checkProof(ctx, r, ath, proofs[0], jkt)
}

// checkProof checks a proof per RFC 9449 section 4.3, cheapest checks
// first: size and shape, header, the key's thumbprint against the token's
// cnf.jkt (so that a proof by any other key is refused before its
// signature is checked), the signature, then the claims, and last the
// replay cache, which only ever records proofs that passed everything else.
func (d *dpopChecker) checkProof(ctx context.Context, r *Call, ath, proof, jkt string) error {
	if len(proof) > d.maxSize {
		return badProof("the DPoP proof is too large")
	}
	split, err := jose.SplitProof(proof)
	if err != nil {
		return fromJOSEProof(err)
	}
	ph, known, err := d.header(split.Header, jkt)
	if err != nil {
		return err
	}
	sig, err := split.Signature()
	if err != nil {
		return fromJOSEProof(err)
	}
	alg, ok := jose.LookupAlgorithm(ph.alg)
	if !ok {
		return badProof("the DPoP proof's algorithm is not allowed")
	}
	if err := alg.Verify(split.SigningInput, sig, ph.key.key); err != nil {
		return badProof("the DPoP proof's signature is invalid")
	}
	if !known {
		d.headers.put(split.Header, ph)
	}
	pc, err := split.Claims()
	if err != nil {
		return fromJOSEProof(err)
	}
	now := d.now()
	switch {
	case pc.HTM != r.Method:
		return badProof("the DPoP proof is for another method (htm)")
	case !d.sameTarget(pc.HTU, r):
		return badProof("the DPoP proof is for another URL (htu)")
	case pc.IAT.Before(now.Add(-d.maxAge)):
		return badProof("the DPoP proof is too old (iat)")
	case pc.IAT.After(now.Add(dpopFutureSkew)):
		return badProof("the DPoP proof is issued in the future (iat)")
	case pc.ATH != ath:
		return badProof("the DPoP proof is for another access token (ath)")
	}
	if d.nonces != nil && (len(pc.Nonce) == 0 || !d.nonces.Valid(pc.Nonce)) {
		return &DPoPError{
			Code:        "use_dpop_nonce",
			Description: "the DPoP proof must carry the server's current nonce",
			Nonce:       d.nonces.Current(),
		}
	}
	seen, err := d.seen(ctx, jkt, pc.JTI, pc.IAT.Add(d.maxAge+dpopFutureSkew))
	switch {
	case err != nil:
		return badProof("the DPoP proof cannot be checked for replay")
	case seen:
		return badProof("the DPoP proof was already used (jti)")
	}
	return nil
}

// seen asks the replay cache about the proof with jti by the key whose
// thumbprint is jkt. The in-memory cache is asked without building its key
// as a string.
func (d *dpopChecker) seen(ctx context.Context, jkt, jti string, until time.Time) (bool, error) {
	var kb [128]byte
	key := append(append(append(kb[:0], jkt...), ':'), jti...)
	if m, ok := d.replay.(*MemoryReplayCache); ok {
		return m.seen(key, until)
	}
	return d.replay.Seen(ctx, string(key), until)
}

// sameTarget compares a proof's htu with the request's URL as the public
// base URL names it, ignoring query and fragment (RFC 9449 section 4.3),
// scheme and host case, a default port, and the percent-encoding
// differences RFC 3986 calls equivalent; a trailing slash or an encoded
// slash still makes another URL.
func (d *dpopChecker) sameTarget(htu string, r *Call) bool {
	// Most clients write htu as the public URL followed by the request's
	// path, with no query or fragment, which needs no parsing: equal to
	// the normalised target, it would parse and normalise to it too. (A
	// query or fragment, which parsing checks, takes the parsing path.)
	reqPath := r.path()
	if rest, ok := strings.CutPrefix(htu, d.origin); ok && strings.HasPrefix(reqPath, "/") &&
		strings.IndexByte(reqPath, '%') < 0 {
		if rest, ok = strings.CutPrefix(rest, d.basePath); ok && rest == reqPath {
			return true
		}
	}
	return d.sameTargetParsed(htu, reqPath)
}

// sameTargetParsed is sameTarget for any htu: parsed, then normalised.
func (d *dpopChecker) sameTargetParsed(htu, reqPath string) bool {
	u, err := url.Parse(htu)
	if err != nil || u.Opaque != "" || u.User != nil {
		return false
	}
	scheme, host, path := normalizeOrigin(u)
	want := normalizePath(d.basePath + reqPath)
	if want == "" {
		want = "/"
	}
	return scheme == d.scheme && host == d.host && path == want
}

// accessTokenHash is the base64url SHA-256 of an access token, which a
// DPoP proof names in its ath.
func accessTokenHash(token string) string {
	sum := tokenDigest(token)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// proofHeader is what a proof's header says.
type proofHeader struct {
	alg        string
	jwk        []byte // the raw public JWK
	thumbprint string // its RFC 7638 thumbprint
}

// readProofHeader reads a proof's encoded JOSE header (internal/jose) and
// judges its key by the proof-key limits (see dpop_keylimits.go) before
// its thumbprint is computed or the key parsed.
func readProofHeader(encoded string, limits *proofKeyLimits) (proofHeader, error) {
	h, err := jose.ReadProofHeader(encoded)
	if err != nil {
		return proofHeader{}, fromJOSEProof(err)
	}
	if why := limits.raw(h.Key); why != "" {
		return proofHeader{}, badProof(why)
	}
	return proofHeader{alg: h.Alg, jwk: h.JWK, thumbprint: h.Key.Thumbprint()}, nil
}

// fromJOSEProof turns a refusal of internal/jose's proof reading into the
// DPoPError clients see, with its fixed phrase.
func fromJOSEProof(err error) error {
	if e, ok := err.(*jose.Error); ok {
		return badProof(e.Reason)
	}
	return badProof("the DPoP proof is not valid")
}

// header reads a proof's encoded JOSE header h into its algorithm and
// parsed key, refusing a key whose thumbprint is not jkt, the token's. A
// client sends the same header with every proof, so a header whose proof
// verified is kept: its key is decoded, parsed and checked once, not on
// every request. known says whether it was kept.
func (d *dpopChecker) header(h, jkt string) (ph *proofHeaderKey, known bool, err error) {
	if len(h) > maxProofHeaderLength {
		return nil, false, badProof(proofHeaderTooLarge)
	}
	if ph := d.headers.get(h); ph != nil {
		if ph.thumbprint != jkt {
			return nil, true, errProofByAnotherKey()
		}
		return ph, true, nil
	}
	read, err := readProofHeader(h, &d.limits)
	if err != nil {
		return nil, false, err
	}
	if !slices.Contains(d.algs, read.alg) {
		return nil, false, badProof("the DPoP proof's algorithm is not allowed")
	}
	if read.thumbprint != jkt { // before the key is parsed
		return nil, false, errProofByAnotherKey()
	}
	d.headers.parseMu.Lock()
	parsed := jose.ParseJWK(read.jwk, &d.headers.checks)
	d.headers.parseMu.Unlock()
	if parsed.Reject != "" {
		return nil, false, badProof("the DPoP proof's key is not acceptable: " + parsed.Reject)
	}
	if why := d.limits.parsed(parsed.Public); why != "" {
		return nil, false, badProof(why)
	}
	key := newVerificationKey(&parsed)
	if !key.fits(read.alg) {
		return nil, false, badProof("the DPoP proof's algorithm does not fit its key")
	}
	return &proofHeaderKey{alg: read.alg, thumbprint: read.thumbprint, key: &key}, false, nil
}

func errProofByAnotherKey() error {
	return badProof("the DPoP proof's key is not the key the token is bound to")
}

// proofHeaderKey is what a proof header that passed every check names.
type proofHeaderKey struct {
	alg        string
	thumbprint string
	key        *verificationKey
}

// proofHeaderCache remembers recent proof headers, encoded as sent, whose
// proofs verified. Reads take no lock; parsing a key is serialised (the key
// checks keep state). A proof header enters it only once a proof under it
// verified, so a header that never verified costs its parsing every time
// and takes no room.
type proofHeaderCache struct {
	m       sync.Map // encoded header → *proofHeaderKey
	n       atomic.Int64
	parseMu sync.Mutex
	checks  jose.KeyChecks
}

const maxProofHeaders = 4096

func (c *proofHeaderCache) get(h string) *proofHeaderKey {
	if ph, ok := c.m.Load(h); ok {
		return ph.(*proofHeaderKey)
	}
	return nil
}

func (c *proofHeaderCache) put(h string, ph *proofHeaderKey) {
	if _, loaded := c.m.LoadOrStore(strings.Clone(h), ph); loaded {
		return
	}
	if c.n.Add(1) > maxProofHeaders {
		c.m.Clear() // a few thousand clients: parse their headers again
		c.n.Store(0)
	}
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
	params := "" // the error's own (acr_values...) and resource_metadata
	if resp.authParams != "" {
		params = resp.authParams + ", "
	}
	switch {
	case resp.Code == "invalid_dpop_proof" || resp.Code == "use_dpop_nonce":
		resp.WWWAuthenticate = `DPoP error="` + resp.Code + `", ` + params + d.algsParam
	case resp.Code == "" && d.mode == DPoPRequired: // no token
		resp.WWWAuthenticate = `DPoP realm="` + safeText(realm, true) + `", ` + params + d.algsParam
	case resp.Code == "":
		resp.WWWAuthenticate = `Bearer realm="` + safeText(
			realm,
			true,
		) + `", ` + params + `DPoP ` + params + d.algsParam
	case usedDPoP || d.mode == DPoPRequired:
		resp.WWWAuthenticate = `DPoP error="` + resp.Code + `", ` + params + d.algsParam
	}
}
