package core

import "github.com/identsphere/identsphere-go/internal/strictjson"

// Confirmation is a token's cnf claim (RFC 7800): the key or certificate
// the token is bound to. A token bound to one may only be used by whoever
// holds it: see WithDPoP and WithCertificateBinding.
type Confirmation struct {
	// JKT is the RFC 7638 thumbprint of the client's DPoP key (RFC 9449).
	JKT string
	// X5TS256 is the SHA-256 thumbprint of the client's TLS certificate,
	// "x5t#S256" (RFC 8705).
	X5TS256 string
}

// Bound reports whether the token is sender-constrained.
func (c Confirmation) Bound() bool { return c.JKT != "" || c.X5TS256 != "" }

// decodeConfirmation reads a cnf claim: an object whose jkt and x5t#S256,
// when present, are strings. Other confirmation methods are not
// understood: a token bound by one of them is refused, since its binding
// cannot be checked.
func decodeConfirmation(raw []byte) (Confirmation, bool) {
	var c Confirmation
	if len(raw) == 0 || raw[0] != '{' {
		return c, false
	}
	ok := true
	err := strictjson.Members(raw, func(key, value []byte) error {
		switch string(key) {
		case "jkt":
			c.JKT, ok = strictjson.String(value)
		case "x5t#S256":
			c.X5TS256, ok = strictjson.String(value)
		default:
			ok = false // jwk, jku, kid: a binding this library cannot check
		}
		if !ok {
			return strictjson.ErrMalformed
		}
		return nil
	})
	return c, err == nil && ok && c.Bound()
}
