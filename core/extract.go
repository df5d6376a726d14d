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
	if values := r.Header.Values("Authorization"); len(values) > 0 {
		if len(values) > 1 {
			return "", 0, &RequestError{Description: "several Authorization headers"}
		}
		scheme, token, _ := strings.Cut(values[0], " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return "", 0, &RequestError{Description: "the Authorization scheme must be Bearer"}
		}
		token = strings.TrimLeft(token, " ")
		if err := checkTokenSyntax(token, maxSize); err != nil {
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
	if err := checkTokenSyntax(cookies[0].Value, maxSize); err != nil {
		return "", 0, err
	}
	return cookies[0].Value, FromCookie, nil
}

// checkTokenSyntax checks the token's framing, after the size cap: the
// characters of RFC 6750's b64token, so that spaces, commas, quotes and
// control characters (several tokens, a mangled header) are a malformed
// request. "=" is accepted anywhere here: padding is a defect of the token,
// not of the request, and the Validator refuses it as an invalid token.
func checkTokenSyntax(token string, maxSize int) error {
	if token == "" {
		return &RequestError{Description: "the bearer token is empty"}
	}
	if len(token) > maxSize {
		return tokenErr("size", "the token is too large", nil)
	}
	if strings.TrimRight(token, "=") == "" {
		return &RequestError{Description: "the bearer token is malformed"}
	}
	for i := 0; i < len(token); i++ {
		switch c := token[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '+', c == '/', c == '=':
		default:
			return &RequestError{Description: "the bearer token is malformed"}
		}
	}
	return nil
}
