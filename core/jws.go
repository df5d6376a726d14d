package core

import (
	"encoding/base64"
	"strings"
)

// DefaultMaxTokenSize caps the size of a token before any parsing: real
// access tokens are a few KiB, and a cap keeps hostile inputs cheap.
const DefaultMaxTokenSize = 16 << 10

// jws is a compact JWS split and decoded, its signature not yet checked.
type jws struct {
	alg          string
	kid          string
	hasKID       bool
	signingInput string // header.payload, the bytes the signature covers
	payload      []byte // claims JSON
	signature    []byte
}

// b64 is the only encoding JWS allows: URL alphabet, no padding, and
// (Strict) no stray bits in the last character.
var b64 = base64.RawURLEncoding.Strict()

// parseJWS splits and decodes a compact JWS, refusing every shape this
// library does not accept before any key is looked up.
func parseJWS(token string, maxSize int) (jws, error) {
	var t jws
	if len(token) > maxSize {
		return t, tokenErr("size", "the token is too large", nil)
	}
	for i := 0; i < len(token); i++ {
		if !inSet(token[i], jwsLo, jwsHi) {
			// Padding, the standard alphabet, spaces and line breaks (which
			// Go's base64 would silently skip) all land here.
			return t, tokenErr("format", "the token is not base64url-encoded", nil)
		}
	}
	dots := strings.Count(token, ".")
	switch dots {
	case 2:
	case 4:
		return t, tokenErr("format", "encrypted tokens (JWE) are not accepted", nil)
	default:
		return t, tokenErr("format", "the token is not a compact JWS of three parts", nil)
	}
	h, rest, _ := strings.Cut(token, ".")
	p, s, _ := strings.Cut(rest, ".")
	if h == "" || p == "" || s == "" {
		return t, tokenErr("format", "the token has an empty part", nil)
	}
	hn, pn, sn := b64.DecodedLen(len(h)), b64.DecodedLen(len(p)), b64.DecodedLen(len(s))
	buf := make([]byte, hn+pn+sn)
	header, err1 := decodeSegment(buf[:hn], h)
	payload, err2 := decodeSegment(buf[hn:hn+pn], p)
	sig, err3 := decodeSegment(buf[hn+pn:], s)
	if err1 != nil || err2 != nil || err3 != nil {
		return t, tokenErr("format", "the token is not base64url-encoded", nil)
	}
	t.signingInput = token[:len(h)+1+len(p)]
	t.payload = payload
	t.signature = sig
	if err := t.readHeader(header); err != nil {
		return jws{}, err
	}
	return t, nil
}

func decodeSegment(dst []byte, seg string) ([]byte, error) {
	n, err := b64.Decode(dst, []byte(seg))
	return dst[:n], err
}

// readHeader reads the JOSE header. Parameters that change how the token
// must be processed (crit, b64, zip, enc, cty) are refused: this library
// implements none of them, and guessing is how JOSE libraries get broken.
// Key-carrying parameters (jwk, jku, x5u, x5c) are ignored: keys come only
// from the issuer's JWKS, and nothing named in a token is ever fetched.
func (t *jws) readHeader(header []byte) error {
	var bad string
	err := objectMembers(header, func(key, value []byte) error {
		switch string(key) {
		case "alg":
			alg, ok := jsonString(value)
			if !ok {
				bad = "the alg header is not a string"
				return errJSON
			}
			t.alg = internAlg(alg)
		case "kid":
			kid, ok := jsonString(value)
			if !ok {
				bad = "the kid header is not a string"
				return errJSON
			}
			t.kid, t.hasKID = kid, true
		case "typ":
			typ, ok := jsonString(value)
			if !ok || !acceptedType(typ) {
				bad = "the token type is not an access token type"
				return errJSON
			}
		case "crit", "b64", "zip", "enc", "cty":
			bad = "the token uses an unsupported header parameter"
			return errJSON
		}
		return nil
	})
	switch {
	case bad != "":
		return tokenErr("header", bad, nil)
	case err != nil:
		return tokenErr("header", "the token header is not a valid JSON object", nil)
	case t.alg == "":
		return tokenErr("header", "the token header has no alg", nil)
	}
	return nil
}

// acceptedType reports whether a typ header names a JWT access token
// (RFC 7519, RFC 9068). Other explicit types (logout tokens, DPoP proofs,
// security events) are different kinds of token and are refused.
func acceptedType(typ string) bool {
	return strings.EqualFold(typ, "JWT") || strings.EqualFold(typ, "at+jwt") || strings.EqualFold(typ, "application/at+jwt")
}
