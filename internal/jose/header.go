package jose

import (
	"bytes"

	"github.com/identsphere/identsphere-go/internal/strictjson"
)

// Type is the kind of token a typ header declares.
type Type uint8

const (
	TypeNone   Type = iota // no typ header
	TypeJWT                // "JWT", any case
	TypeATJWT              // "at+jwt" or "application/at+jwt", any case
	TypeLogout             // "logout+jwt": a back-channel logout token
)

// Header is what a JOSE header says, once read. It holds no view into the
// header it was read from (the kid is located by offsets), so that a
// caller's header buffer stays on its stack.
type Header struct {
	Alg  string // the canonical name of an algorithm this library knows, else as sent
	Type Type
	kid  [2]int // the kid's raw JSON string in the header, quotes included; 0, 0 when absent
}

// HasKID reports whether the header names a key.
func (h *Header) HasKID() bool { return h.kid[1] != 0 }

// RawKID is the kid between its quotes, escapes still in it, for lookups
// that must not allocate; header is the one ReadHeader read.
func (h *Header) RawKID(header []byte) []byte {
	if !h.HasKID() {
		return nil
	}
	return header[h.kid[0]+1 : h.kid[1]-1]
}

// KID decodes the kid (it allocates); header is the one ReadHeader read.
func (h *Header) KID(header []byte) string {
	if !h.HasKID() {
		return ""
	}
	kid, _ := strictjson.String(header[h.kid[0]:h.kid[1]])
	return kid
}

// ReadHeader reads a decoded JOSE header. Parameters that change how the
// token must be processed (crit, b64, zip, enc, cty) are refused: this
// library implements none of them, and guessing is how JOSE libraries get
// broken. Key-carrying parameters (jwk, jku, x5u, x5c) are ignored: keys
// come only from the issuer's JWKS, and nothing named in a token is ever
// fetched. A header with more than maxHeaderMembers members is refused: no
// real token needs them, and each costs a duplicate check. Explicit types
// other than a JWT, an access token or a logout token (DPoP proofs,
// security events) are different kinds of token, refused here.
func ReadHeader(header []byte) (Header, error) {
	var h Header
	it := strictjson.NewIter(header, maxHeaderMembers)
	for key, value, ok := it.Next(); ok; key, value, ok = it.Next() {
		if string(key) == "kid" {
			if _, ok := strictjson.RawString(value); !ok {
				return Header{}, errKIDNotString
			}
			h.kid = [2]int{it.Offset() - len(value), it.Offset()}
			continue
		}
		if err := h.read(key, value); err != nil {
			return Header{}, err
		}
	}
	switch {
	case it.Err() == strictjson.ErrTooManyMembers:
		return Header{}, errTooManyMembers
	case it.Err() != nil:
		return Header{}, errHeaderNotObject
	case h.Alg == "":
		return Header{}, errNoAlg
	}
	return h, nil
}

// read reads one member of a header other than kid.
func (h *Header) read(key, value []byte) error {
	switch string(key) {
	case "alg":
		raw, ok := strictjson.RawString(value)
		if !ok {
			return errAlgNotString
		}
		if alg := canonicalAlg(raw); alg != "" {
			h.Alg = alg
		} else if alg, ok := strictjson.String(value); ok {
			h.Alg = alg
		}
	case "typ":
		typ, ok := strictjson.RawString(value)
		if ok && bytes.IndexByte(typ, '\\') >= 0 {
			var s string
			s, ok = strictjson.String(value)
			typ = []byte(s)
		}
		if h.Type = classifyType(typ); !ok || h.Type == TypeNone {
			return errType
		}
	case "nonce":
		// Microsoft Graph access tokens carry a nonce in their header
		// and are signed over a hash of it: only Graph can check them.
		return errGraphNonce
	case "crit", "b64", "zip", "enc", "cty":
		return errUnsupported
	}
	return nil
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

// classifyType reads a typ header: "JWT" (RFC 7519), an access token type
// (RFC 9068) or a logout token (OpenID Connect Back-Channel Logout);
// anything else is TypeNone.
func classifyType(typ []byte) Type {
	switch {
	case bytes.EqualFold(typ, []byte("JWT")):
		return TypeJWT
	case bytes.EqualFold(typ, []byte("at+jwt")), bytes.EqualFold(typ, []byte("application/at+jwt")):
		return TypeATJWT
	case bytes.EqualFold(typ, []byte("logout+jwt")):
		return TypeLogout
	}
	return TypeNone
}
