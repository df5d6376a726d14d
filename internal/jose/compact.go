package jose

import (
	"encoding/base64"
	"strings"
	"unsafe"

	"github.com/identsphere/identsphere-go/internal/strictjson"
)

// Caps on the parts of a token that are read before its signature is
// checked, so that refusing a hostile token costs a small fraction of one
// signature check whatever its size. Real headers are a few hundred bytes
// with a handful of members; signatures are at most 1 KiB (RSA-8192).
const (
	maxHeaderSegment    = 2 << 10 // base64url characters of the JOSE header
	maxHeaderMembers    = 32
	maxSignatureSegment = 1368 // base64url characters of 1,024 bytes
)

// HeaderBuffer holds a decoded header. The caller provides it (on its
// stack), so that reading a header allocates nothing.
type HeaderBuffer [maxHeaderSegment * 3 / 4]byte

// JWS is a compact JWS split, its signature and payload still encoded:
// they are decoded only once the header has passed (Signature) and once
// the signature has verified (Payload), so a token the issuer did not sign
// never reaches a claims parser.
type JWS struct {
	SigningInput string // header.payload, the bytes the signature covers
	payloadSeg   string
	signatureSeg string
}

// b64 is the only encoding JWS allows: URL alphabet, no padding, and
// (Strict) no stray bits in the last character.
var b64 = base64.RawURLEncoding.Strict()

// Split splits a compact JWS and decodes its header into buf, refusing
// every shape this library does not accept; it returns the decoded header.
// Its cost is linear in the header, which is capped, plus a vectorised
// scan for the dots; the payload is not read.
func Split(token string, maxSize int, buf *HeaderBuffer) (JWS, []byte, error) {
	if len(token) > maxSize {
		return JWS{}, nil, errTooLarge
	}
	h, rest, ok1 := strings.Cut(token, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	switch {
	case !ok1 || !ok2:
		return JWS{}, nil, errNotCompact
	case strings.IndexByte(s, '.') >= 0:
		if strings.Count(s, ".") == 2 && isJWEHeader(h) {
			return JWS{}, nil, errJWE
		}
		// Opaque tokens with dots in them are not called encrypted.
		return JWS{}, nil, errNotCompact
	case h == "" || p == "" || s == "":
		return JWS{}, nil, errEmptyPart
	case len(h) > maxHeaderSegment:
		return JWS{}, nil, errHeaderTooLarge
	case len(s) > maxSignatureSegment:
		return JWS{}, nil, errSignatureSize
	case hasLineBreak(h) || hasLineBreak(s):
		// Go's base64 silently skips line breaks; the strict decoder
		// refuses every other character outside the alphabet (padding, the
		// standard alphabet, spaces).
		return JWS{}, nil, errNotBase64URL
	}
	n, err := b64.Decode(buf[:], readOnlyBytes(h))
	if err != nil {
		return JWS{}, nil, errNotBase64URL
	}
	return JWS{SigningInput: token[:len(h)+1+len(p)], payloadSeg: p, signatureSeg: s}, buf[:n], nil
}

// SignatureBuffer holds a decoded signature. The caller provides it (on its
// stack), so that decoding a token's signature allocates nothing.
type SignatureBuffer [maxSignatureSegment * 3 / 4]byte

// Signature decodes the signature segment, whose characters and size Split
// has checked, into buf.
func (t *JWS) Signature(buf *SignatureBuffer) ([]byte, error) {
	if len(t.signatureSeg) > maxSignatureSegment { // a JWS that Split did not make
		return nil, errSignatureSize
	}
	n, err := b64.Decode(buf[:], readOnlyBytes(t.signatureSeg))
	if err != nil {
		return nil, errNotBase64URL
	}
	return buf[:n], nil
}

// Payload decodes the payload segment. Call it only for a token whose
// signature verified (or to choose the key that checks it), so that the
// cost of a large payload is paid for tokens the issuer signed, never for
// junk.
func (t *JWS) Payload() ([]byte, error) {
	if hasLineBreak(t.payloadSeg) {
		return nil, errNotBase64URL
	}
	payload := make([]byte, b64.DecodedLen(len(t.payloadSeg)))
	n, err := b64.Decode(payload, readOnlyBytes(t.payloadSeg))
	if err != nil {
		return nil, errNotBase64URL
	}
	return payload[:n], nil
}

// isJWEHeader reports whether a first segment is the protected header of a
// compact JWE (RFC 7516): a JSON object naming its content encryption in
// "enc". Only then is a five-part token called encrypted.
func isJWEHeader(h string) bool {
	if len(h) > maxHeaderSegment || hasLineBreak(h) {
		return false
	}
	var buf HeaderBuffer
	n, err := b64.Decode(buf[:], readOnlyBytes(h))
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

// hasLineBreak reports whether s holds CR or LF, the only characters
// outside the alphabet that Go's strict base64 decoder skips instead of
// refusing. The scan is vectorised.
func hasLineBreak(s string) bool {
	return strings.IndexByte(s, '\n') >= 0 || strings.IndexByte(s, '\r') >= 0
}

// readOnlyBytes views a string's bytes without copying them, for the
// base64 decoder, which only reads its source. It is safe because nothing
// writes through the view (the decoders write only to their destination)
// and no view outlives the call it is passed to, so the string's
// immutability is never broken; a copy would cost an allocation per token
// (headers and signatures are larger than the compiler's stack buffer for
// conversions).
func readOnlyBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
