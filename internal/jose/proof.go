package jose

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"math"
	"strings"
	"time"
	"unsafe"

	"github.com/identsphere/identsphere-go/internal/strictjson"
)

// The reading of DPoP proofs (RFC 9449): a compact JWS whose header
// carries the public key that signed it. What a proof must be bound to
// (the token's key, the request's method and URL, the access token, a
// server nonce, a jti never seen before) and the limits of its key are
// decided by core; this file only says what a proof holds.

// The refusals of DPoP proof reading: core turns them into DPoPErrors.
var (
	errProofNotCompact     = refusal(PartProof, "the DPoP proof is not a compact JWS")
	errProofNotBase64URL   = refusal(PartProof, "the DPoP proof is not base64url-encoded")
	errProofHeaderEncoding = refusal(PartProof, "the DPoP proof header is not valid")
	errProofParameter      = refusal(PartProof, "the DPoP proof header has a parameter that is not allowed")
	errProofHeaderJSON     = refusal(PartProof, "the DPoP proof header is not a valid JSON object")
	errProofType           = refusal(PartProof, `the DPoP proof's typ is not "dpop+jwt"`)
	errProofNoAlg          = refusal(PartProof, "the DPoP proof has no alg")
	errProofNoJWK          = refusal(PartProof, "the DPoP proof has no jwk")
	errProofPrivateKey     = refusal(PartProof, "the DPoP proof's jwk holds a private key")
	errProofJWK            = refusal(PartProof, "the DPoP proof's jwk is not a valid JWK")
	errProofClaims         = refusal(PartProof, "the DPoP proof's claims are not valid")
	errProofNoJTI          = refusal(PartProof, "the DPoP proof has no usable jti")
	errProofNoTarget       = refusal(PartProof, "the DPoP proof has no htm or htu")
	errProofNoIAT          = refusal(PartProof, "the DPoP proof has no iat")
	errProofNoATH          = refusal(PartProof, "the DPoP proof has no ath")
)

// maxProofJTI caps a proof's jti, which a replay cache keeps.
const maxProofJTI = 256

// Proof is a DPoP proof split, its parts still encoded.
type Proof struct {
	Header       string // the encoded header: read by ReadProofHeader, and the key of a cache of headers read before
	SigningInput string // header.payload, the bytes the signature covers
	payloadSeg   string
	signatureSeg string
	rest         []byte // room for the payload after the signature, in one buffer
}

// SplitProof splits a compact JWS proof (its size is capped by the caller).
func SplitProof(proof string) (Proof, error) {
	h, rest, ok1 := strings.Cut(proof, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.IndexByte(s, '.') >= 0 || h == "" || p == "" || s == "" || hasLineBreak(proof) {
		return Proof{}, errProofNotCompact
	}
	return Proof{Header: h, SigningInput: proof[:len(h)+1+len(p)], payloadSeg: p, signatureSeg: s}, nil
}

// Signature decodes the signature into one buffer sized for the signature
// and the payload both: Claims decodes the payload into the rest, so that
// a proof costs one allocation for both.
func (p *Proof) Signature() ([]byte, error) {
	buf := make([]byte, b64.DecodedLen(len(p.signatureSeg))+b64.DecodedLen(len(p.payloadSeg)))
	n, err := b64.Decode(buf, readOnlyBytes(p.signatureSeg))
	if err != nil {
		return nil, errProofNotBase64URL
	}
	p.rest = buf[n:]
	return buf[:n:n], nil
}

// Claims decodes the payload (after Signature, once the signature has
// verified) and reads the claims.
func (p *Proof) Claims() (ProofClaims, error) {
	m, err := b64.Decode(p.rest, readOnlyBytes(p.payloadSeg))
	if err != nil {
		return ProofClaims{}, errProofNotBase64URL
	}
	return readProofClaims(p.rest[:m])
}

// ProofHeader is what a proof's header says.
type ProofHeader struct {
	Alg string
	JWK []byte   // the raw public JWK
	Key ProofJWK // its members that say which key it is
}

// ProofJWK is the members of a proof's public JWK that say which key it
// is, raw as the JSON holds them (base64url or names, never escaped).
type ProofJWK struct {
	Kty, Crv, X, Y, N, E []byte
}

// ReadProofHeader decodes and reads a proof's encoded JOSE header: typ
// dpop+jwt, an alg, and a public jwk (a private key in it is refused:
// whoever sent it has leaked it). Parameters that would name or fetch
// another key (jku, x5u, x5c, kid) or change how the proof is processed
// (crit, b64, zip) are refused. The caller caps the header's length.
func ReadProofHeader(encoded string) (ProofHeader, error) {
	header, err := b64.DecodeString(encoded)
	if err != nil {
		return ProofHeader{}, errProofHeaderEncoding
	}
	var ph ProofHeader
	typ := ""
	it := strictjson.NewIter(header, maxHeaderMembers)
	for key, value, ok := it.Next(); ok; key, value, ok = it.Next() {
		switch string(key) {
		case "typ":
			typ, _ = strictjson.String(value)
		case "alg":
			ph.Alg, _ = strictjson.String(value)
		case "jwk":
			ph.JWK = value
		case "crit", "b64", "zip", "jku", "x5u", "x5c", "kid":
			return ProofHeader{}, errProofParameter
		}
	}
	switch {
	case it.Err() != nil:
		return ProofHeader{}, errProofHeaderJSON
	case !strings.EqualFold(typ, "dpop+jwt"):
		return ProofHeader{}, errProofType
	case ph.Alg == "":
		return ProofHeader{}, errProofNoAlg
	case len(ph.JWK) == 0 || ph.JWK[0] != '{':
		return ProofHeader{}, errProofNoJWK
	}
	if ph.Key, err = readProofJWK(ph.JWK); err != nil {
		return ProofHeader{}, err
	}
	return ph, nil
}

// readProofJWK reads a proof's public JWK, refusing one that holds private
// key material or a member of the wrong type.
func readProofJWK(jwk []byte) (ProofJWK, error) {
	var k ProofJWK
	it := strictjson.NewIter(jwk, maxHeaderMembers)
	for key, value, ok := it.Next(); ok; key, value, ok = it.Next() {
		var dst *[]byte
		switch string(key) {
		case "d", "p", "q", "dp", "dq", "qi", "oth", "k":
			return k, errProofPrivateKey
		case "kty":
			dst = &k.Kty
		case "crv":
			dst = &k.Crv
		case "x":
			dst = &k.X
		case "y":
			dst = &k.Y
		case "n":
			dst = &k.N
		case "e":
			dst = &k.E
		default:
			continue
		}
		// The members are base64url or names: an escape or a quote has no
		// place in them, and would change the canonical form.
		raw, isString := strictjson.RawString(value)
		if !isString || bytes.IndexByte(raw, '\\') >= 0 {
			return k, errProofJWK
		}
		*dst = raw
	}
	if it.Err() != nil {
		return k, errProofJWK
	}
	return k, nil
}

// Thumbprint is the key's RFC 7638 thumbprint, base64url, for a key of
// type EC, RSA or OKP (of another type, the thumbprint of nothing: the
// caller refuses such keys first).
func (k ProofJWK) Thumbprint() string {
	buf := make([]byte, 0, 64+len(k.X)+len(k.Y)+len(k.N))
	switch string(k.Kty) {
	case "EC":
		buf = append(
			append(
				append(
					append(append(append(append(buf, `{"crv":"`...), k.Crv...), `","kty":"EC","x":"`...), k.X...),
					`","y":"`...),
				k.Y...),
			`"}`...)
	case "RSA":
		buf = append(
			append(append(append(append(buf, `{"e":"`...), k.E...), `","kty":"RSA","n":"`...), k.N...),
			`"}`...)
	case "OKP":
		buf = append(
			append(append(append(append(buf, `{"crv":"`...), k.Crv...), `","kty":"OKP","x":"`...), k.X...),
			`"}`...)
	}
	sum := sha256.Sum256(buf)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// ProofClaims is what a proof's claims say.
type ProofClaims struct {
	JTI, HTM, HTU, ATH, Nonce string
	IAT                       time.Time
}

// readProofClaims reads a proof's claims strictly; jti (at most 256
// bytes), htm, htu, iat and ath are required (ath: proofs are checked only
// with access tokens). The claims share payload's memory, which must not
// change afterwards.
func readProofClaims(payload []byte) (ProofClaims, error) {
	var pc ProofClaims
	it := strictjson.NewIter(payload, 0)
	for key, value, ok := it.Next(); ok; key, value, ok = it.Next() {
		var dst *string
		switch string(key) {
		case "jti":
			dst = &pc.JTI
		case "htm":
			dst = &pc.HTM
		case "htu":
			dst = &pc.HTU
		case "ath":
			dst = &pc.ATH
		case "nonce":
			dst = &pc.Nonce
		case "iat":
			var isTime bool
			if pc.IAT, isTime = NumericDate(value); !isTime {
				return pc, errProofClaims
			}
			continue
		default:
			continue
		}
		raw, isString := strictjson.RawString(value)
		if !isString {
			return pc, errProofClaims
		}
		if bytes.IndexByte(raw, '\\') >= 0 {
			*dst, _ = strictjson.String(value)
		} else {
			// A string over the payload's bytes, not a copy: safe because
			// the payload is this proof's own buffer, never written after
			// it was decoded (see the doc above), and the garbage collector
			// keeps it alive as long as any claim points into it. Copies
			// would cost five allocations per request.
			*dst = unsafe.String(unsafe.SliceData(raw), len(raw))
		}
	}
	switch {
	case it.Err() != nil:
		return pc, errProofClaims
	case len(pc.JTI) == 0 || len(pc.JTI) > maxProofJTI:
		return pc, errProofNoJTI
	case len(pc.HTM) == 0 || len(pc.HTU) == 0:
		return pc, errProofNoTarget
	case pc.IAT.IsZero():
		return pc, errProofNoIAT
	case len(pc.ATH) == 0:
		return pc, errProofNoATH
	}
	return pc, nil
}

// NumericDate decodes a raw JSON NumericDate (RFC 7519: seconds since the
// epoch, possibly fractional) within [0, strictjson.MaxNumericDate].
func NumericDate(raw []byte) (time.Time, bool) {
	secs, ok := strictjson.Seconds(raw)
	if !ok {
		return time.Time{}, false
	}
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole), int64(frac*1e9)), true
}
