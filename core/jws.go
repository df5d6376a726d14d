package core

import (
	"bytes"
	"encoding/base64"
	"strings"
	"unsafe"

	"github.com/identsphere/identsphere-go/internal/strictjson"
)

// DefaultMaxTokenSize caps the size of a token before any parsing: real
// access tokens are a few KiB, and a cap keeps hostile inputs cheap.
const DefaultMaxTokenSize = 16 << 10

// Caps on the parts of a token that are read before its signature is
// checked, so that refusing a hostile token costs a small fraction of one
// signature check whatever its size. Real headers are a few hundred bytes
// with a handful of members; signatures are at most 1 KiB (RSA-8192).
const (
	maxHeaderSegment    = 2 << 10 // base64url characters of the JOSE header
	maxHeaderMembers    = 32
	maxSignatureSegment = 1368 // base64url characters of 1,024 bytes
)

// jws is a compact JWS split, with its header read and its signature and
// payload still encoded: they are decoded only once the header has passed
// (signature) and once the signature has verified (payload), so a token the
// issuer did not sign never reaches the claims parser.
type jws struct {
	alg          string // canonical name of an algorithm this library knows, else as sent
	kid          string
	hasKID       bool
	knownKID     bool // kid is in the key snapshot the header was read against
	typ          tokenType
	signingInput string // header.payload, the bytes the signature covers
	payloadSeg   string
	signatureSeg string
}

// b64 is the only encoding JWS allows: URL alphabet, no padding, and
// (Strict) no stray bits in the last character.
var b64 = base64.RawURLEncoding.Strict()

// parseJWS splits a compact JWS and reads its header, refusing every shape
// this library does not accept before any key is looked up. Its cost is
// linear in the header, which is capped, plus a vectorised scan for the
// dots; the payload is not read. kids lets a known kid be recognised
// without allocating.
func parseJWS(token string, maxSize int, kids kidIndex) (jws, error) {
	var t jws
	if len(token) > maxSize {
		return t, tokenErr("size", "the token is too large", nil)
	}
	h, rest, ok1 := strings.Cut(token, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	switch {
	case !ok1 || !ok2:
		return t, tokenErr("format", "the token is not a compact JWS of three parts", nil)
	case strings.IndexByte(s, '.') >= 0:
		if strings.Count(s, ".") == 2 && isJWEHeader(h) {
			return t, tokenErr("format", "encrypted tokens (JWE) are not accepted", nil)
		}
		// Opaque tokens with dots in them are not called encrypted.
		return t, tokenErr("format", "the token is not a compact JWS of three parts", nil)
	case h == "" || p == "" || s == "":
		return t, tokenErr("format", "the token has an empty part", nil)
	case len(h) > maxHeaderSegment:
		return t, tokenErr("header", "the token header is too large", nil)
	case len(s) > maxSignatureSegment:
		return t, tokenErr("format", "the token signature is too large", nil)
	case hasLineBreak(h) || hasLineBreak(s):
		// Go's base64 silently skips line breaks; the strict decoder
		// refuses every other character outside the alphabet (padding, the
		// standard alphabet, spaces).
		return t, tokenErr("format", "the token is not base64url-encoded", nil)
	}
	var buf [maxHeaderSegment * 3 / 4]byte
	n, err := b64.Decode(buf[:], unsafeBytes(h))
	if err != nil {
		return t, tokenErr("format", "the token is not base64url-encoded", nil)
	}
	t.signingInput = token[:len(h)+1+len(p)]
	t.payloadSeg, t.signatureSeg = p, s
	if err := t.readHeader(buf[:n], kids); err != nil {
		return jws{}, err
	}
	return t, nil
}

// decodeSignature decodes the signature segment, whose characters
// parseJWS has checked.
func (t *jws) decodeSignature() ([]byte, error) {
	sig := make([]byte, b64.DecodedLen(len(t.signatureSeg)))
	n, err := b64.Decode(sig, unsafeBytes(t.signatureSeg))
	if err != nil {
		return nil, tokenErr("format", "the token is not base64url-encoded", nil)
	}
	return sig[:n], nil
}

// decodePayload decodes the payload segment. Only a token whose signature
// verified gets here, so the cost of a large payload is paid for tokens the
// issuer signed, never for junk.
func (t *jws) decodePayload() ([]byte, error) {
	if hasLineBreak(t.payloadSeg) {
		return nil, tokenErr("format", "the token is not base64url-encoded", nil)
	}
	payload := make([]byte, b64.DecodedLen(len(t.payloadSeg)))
	n, err := b64.Decode(payload, unsafeBytes(t.payloadSeg))
	if err != nil {
		return nil, tokenErr("format", "the token is not base64url-encoded", nil)
	}
	return payload[:n], nil
}

// readHeader reads the JOSE header. Parameters that change how the token
// must be processed (crit, b64, zip, enc, cty) are refused: this library
// implements none of them, and guessing is how JOSE libraries get broken.
// Key-carrying parameters (jwk, jku, x5u, x5c) are ignored: keys come only
// from the issuer's JWKS, and nothing named in a token is ever fetched. A
// header with more than maxHeaderMembers members is refused: no real token
// needs them, and each costs a duplicate check.
func (t *jws) readHeader(header []byte, kids kidIndex) error {
	it := strictjson.NewIter(header, maxHeaderMembers)
	for key, value, ok := it.Next(); ok; key, value, ok = it.Next() {
		switch string(key) {
		case "alg":
			raw, ok := strictjson.RawString(value)
			if !ok {
				return tokenErr("header", "the alg header is not a string", nil)
			}
			if alg := canonicalAlg(raw); alg != "" {
				t.alg = alg
			} else if alg, ok := strictjson.String(value); ok {
				t.alg = alg
			}
		case "kid":
			raw, ok := strictjson.RawString(value)
			if !ok {
				return tokenErr("header", "the kid header is not a string", nil)
			}
			t.hasKID = true
			if kid, ok := kids.lookup(raw); ok {
				t.kid, t.knownKID = kid, true
			} else if kid, ok := strictjson.String(value); ok {
				t.kid = kid
				_, t.knownKID = kids.lookup([]byte(kid))
			}
		case "typ":
			typ, ok := strictjson.RawString(value)
			if ok && bytes.IndexByte(typ, '\\') >= 0 {
				var s string
				s, ok = strictjson.String(value)
				typ = []byte(s)
			}
			if t.typ = classifyType(typ); !ok || t.typ == typeNone {
				return tokenErr("header", "the token type is not accepted", nil)
			}
		case "nonce":
			// Microsoft Graph access tokens carry a nonce in their header
			// and are signed over a hash of it: only Graph can check them.
			return tokenErr("header", "the token has a nonce in its header (a Microsoft Graph token, meant for Graph and not for this API)", nil)
		case "crit", "b64", "zip", "enc", "cty":
			return tokenErr("header", "the token uses an unsupported header parameter", nil)
		}
	}
	switch {
	case it.Err() == strictjson.ErrTooManyMembers:
		return tokenErr("header", "the token header has too many members", nil)
	case it.Err() != nil:
		return tokenErr("header", "the token header is not a valid JSON object", nil)
	case t.alg == "":
		return tokenErr("header", "the token header has no alg", nil)
	}
	return nil
}

// isJWEHeader reports whether a first segment is the protected header of a
// compact JWE (RFC 7516): a JSON object naming its content encryption in
// "enc". Only then is a five-part token called encrypted.
func isJWEHeader(h string) bool {
	if len(h) > maxHeaderSegment || hasLineBreak(h) {
		return false
	}
	var buf [maxHeaderSegment * 3 / 4]byte
	n, err := b64.Decode(buf[:], unsafeBytes(h))
	if err != nil {
		return false
	}
	it := strictjson.NewIter(buf[:n], maxHeaderMembers)
	for key, value, ok := it.Next(); ok; key, value, ok = it.Next() {
		if string(key) == "enc" {
			_, ok := strictjson.RawString(value)
			return ok
		}
	}
	return false
}

// canonicalAlg returns the constant name of a known algorithm, so that the
// hot path keeps no per-token copy, or "" for any other value.
func canonicalAlg(alg []byte) string {
	switch string(alg) {
	case "RS256":
		return "RS256"
	case "RS384":
		return "RS384"
	case "RS512":
		return "RS512"
	case "PS256":
		return "PS256"
	case "PS384":
		return "PS384"
	case "PS512":
		return "PS512"
	case "ES256":
		return "ES256"
	case "ES384":
		return "ES384"
	case "ES512":
		return "ES512"
	case "EdDSA":
		return "EdDSA"
	}
	return ""
}

// kidIndex recognises known kids without allocating: those published in
// the one issuer's key set (snap), or, with several issuers, those of tokens
// verified before (names). Both may be nil.
type kidIndex struct {
	snap  *keySnapshot
	names *kidNames
}

// lookup returns the canonical string of a known kid.
func (x kidIndex) lookup(kid []byte) (string, bool) {
	if x.snap != nil {
		if k := x.snap.byKID[string(kid)]; k != nil {
			return k.kid, true
		}
		return "", false
	}
	if x.names != nil {
		if m := x.names.m.Load(); m != nil {
			s, ok := (*m)[string(kid)]
			return s, ok
		}
	}
	return "", false
}

// classifyType reads a typ header: "JWT" (RFC 7519), an access token type
// (RFC 9068) or a logout token (OpenID Connect Back-Channel Logout), each
// then accepted only where it belongs. Other explicit types (DPoP proofs,
// security events) are different kinds of token: typeNone, refused.
func classifyType(typ []byte) tokenType {
	switch {
	case bytes.EqualFold(typ, []byte("JWT")):
		return typeJWT
	case bytes.EqualFold(typ, []byte("at+jwt")), bytes.EqualFold(typ, []byte("application/at+jwt")):
		return typeATJWT
	case bytes.EqualFold(typ, []byte("logout+jwt")):
		return typeLogout
	}
	return typeNone
}

// hasLineBreak reports whether s holds CR or LF, the only characters
// outside the alphabet that Go's strict base64 decoder skips instead of
// refusing. The scan is vectorised.
func hasLineBreak(s string) bool {
	return strings.IndexByte(s, '\n') >= 0 || strings.IndexByte(s, '\r') >= 0
}

// unsafeBytes views a string's bytes without copying them; callers only
// read them.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
