package core

import (
	"net/http"
	"strings"
)

// DefaultCookieName is the cookie that carries the access token for
// browser clients when there is no Authorization header.
const DefaultCookieName = "identsphere_at"

// TokenSource says where a request's token came from.
type TokenSource int

// Where a token was found.
const (
	FromHeader TokenSource = iota + 1 // Authorization: Bearer
	FromCookie                        // the access-token cookie
)

// ExtractToken returns the access token of r: from the Authorization header
// with the Bearer scheme (matched case-insensitively), else from the cookie
// named cookieName ("" turns cookies off). The header wins when both are
// present.
//
// Several Authorization headers, another scheme, an empty token, or
// characters outside RFC 6750's b64token are a malformed request
// ([ErrInvalidRequest]); so are two cookies of the same name, which is how
// cookie tossing from a sibling domain shows. A token longer than maxSize
// is an invalid token. No token at all is [ErrMissingToken].
func ExtractToken(r *http.Request, cookieName string, maxSize int) (string, TokenSource, error) {
	token, source, err := extractToken(r, cookieName, maxSize)
	if err != nil {
		return "", 0, err
	}
	if !isB64token(token) {
		return "", 0, errMalformedToken
	}
	return token, source, nil
}

// errMalformedToken is a token whose characters break RFC 6750's framing.
var errMalformedToken = &RequestError{Description: "the bearer token is malformed"}

// extractToken is ExtractToken without the per-character scan, which the
// Authenticator runs only when Verify refuses the token: a token that
// verifies is well-formed, so the success path never pays for the scan.
func extractToken(r *http.Request, cookieName string, maxSize int) (string, TokenSource, error) {
	// The map itself rather than Header.Values, which would canonicalise
	// a key that is canonical already, on every request.
	if values := r.Header["Authorization"]; len(values) > 0 {
		if len(values) > 1 {
			return "", 0, &RequestError{Description: "several Authorization headers"}
		}
		scheme, token, _ := strings.Cut(values[0], " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return "", 0, &RequestError{Description: "the Authorization scheme must be Bearer"}
		}
		token = strings.TrimLeft(token, " ")
		if err := checkTokenFraming(token, maxSize); err != nil {
			return "", 0, err
		}
		return token, FromHeader, nil
	}
	if cookieName == "" {
		return "", 0, ErrMissingToken
	}
	cookies := r.CookiesNamed(cookieName)
	switch {
	case len(cookies) > 1:
		return "", 0, &RequestError{Description: "several access-token cookies"}
	case len(cookies) == 0 || cookies[0].Value == "":
		return "", 0, ErrMissingToken
	}
	if err := checkTokenFraming(cookies[0].Value, maxSize); err != nil {
		return "", 0, err
	}
	return cookies[0].Value, FromCookie, nil
}

// checkTokenFraming refuses an empty token (or one of padding only), then
// applies the size cap.
func checkTokenFraming(token string, maxSize int) error {
	if token == "" {
		return &RequestError{Description: "the bearer token is empty"}
	}
	if len(token) > maxSize {
		return tokenErr("size", "the token is too large", nil)
	}
	if strings.TrimRight(token, "=") == "" {
		return errMalformedToken
	}
	return nil
}

// isB64token reports whether token holds only the characters of RFC 6750's
// b64token, plus "=" anywhere: spaces, commas, quotes and control
// characters (several tokens, a mangled header) make a malformed request,
// while padding is a defect of the token, refused by the Validator.
func isB64token(token string) bool {
	for i := 0; i < len(token); i++ {
		if !inSet(token[i], b64tokenLo, b64tokenHi) {
			return false
		}
	}
	return true
}

// Character sets as 128-bit masks (bit c set: character c is in the set):
// constant, and one shift per byte on the hot path.
const (
	// b64token plus "=": A-Z a-z 0-9 - . _ ~ + / =
	b64tokenLo = 1<<'+' | 1<<'-' | 1<<'.' | 1<<'/' | 0x3FF<<'0' | 1<<'='
	b64tokenHi = 0x3FFFFFF<<('A'-64) | 1<<('_'-64) | 0x3FFFFFF<<('a'-64) | 1<<('~'-64)
	// base64url and the JWS dot: A-Z a-z 0-9 - _ .
	jwsLo = 1<<'-' | 1<<'.' | 0x3FF<<'0'
	jwsHi = 0x3FFFFFF<<('A'-64) | 1<<('_'-64) | 0x3FFFFFF<<('a'-64)
)

func inSet(c byte, lo, hi uint64) bool {
	if c < 64 {
		return lo&(1<<c) != 0
	}
	return c < 128 && hi&(1<<(c-64)) != 0
}
