package core

import (
	"encoding/base64"
	"strings"
	"unsafe"
)

// b64 is the only encoding JWS allows (DPoP proofs are JWS): URL alphabet,
// no padding, and (Strict) no stray bits in the last character.
var b64 = base64.RawURLEncoding.Strict()

// hasLineBreak reports whether s holds CR or LF, the only characters
// outside the alphabet that Go's strict base64 decoder skips instead of
// refusing.
func hasLineBreak(s string) bool {
	return strings.IndexByte(s, '\n') >= 0 || strings.IndexByte(s, '\r') >= 0
}

// unsafeBytes views a string's bytes without copying them. It is safe
// because every caller only reads the view (a base64 decoder's source, a
// hash's input, a map key converted back to a string) and none keeps it
// past the call, so the string's immutability is never broken; a copy
// would cost an allocation per request.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
