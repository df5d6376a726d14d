package core

import (
	"encoding/binary"
	"net/http"
	"strings"
	"unsafe"
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
	FromDPoP                          // Authorization: DPoP (with WithDPoP)
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
//
// Cookies are read as net/http's Request.CookiesNamed reads them (a value
// it would skip, such as one holding a quote or a control character, is
// absent here too), but straight from the Cookie header lines, without
// building a Cookie for each pair: reading the token costs no allocation,
// and time linear in the size of the header, however many cookies it holds.
func ExtractToken(r *http.Request, cookieName string, maxSize int) (string, TokenSource, error) {
	token, source, err := extractToken(r, cookieName, maxSize, false)
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
// With dpop, the DPoP scheme is taken too (FromDPoP).
func extractToken(r *http.Request, cookieName string, maxSize int, dpop bool) (string, TokenSource, error) {
	// The map itself rather than Header.Values, which would canonicalise
	// a key that is canonical already, on every request.
	if values := r.Header["Authorization"]; len(values) > 0 {
		return authorizationToken(values, maxSize, dpop)
	}
	if cookieName == "" {
		return "", 0, ErrMissingToken
	}
	value, n := namedCookie(r, cookieName)
	switch {
	case n > 1:
		return "", 0, &RequestError{Description: "several access-token cookies"}
	case n == 0 || value == "":
		return "", 0, ErrMissingToken
	}
	if err := checkTokenFraming(value, maxSize); err != nil {
		return "", 0, err
	}
	return value, FromCookie, nil
}

// authorizationToken reads the token of an Authorization field (an HTTP
// header, gRPC metadata) that has values: exactly one, Bearer or, with dpop,
// DPoP, without the per-character scan (see extractToken).
func authorizationToken(values []string, maxSize int, dpop bool) (string, TokenSource, error) {
	if len(values) > 1 {
		return "", 0, &RequestError{Description: "several Authorization headers"}
	}
	scheme, token, _ := strings.Cut(values[0], " ")
	source := FromHeader
	switch {
	case strings.EqualFold(scheme, "Bearer"):
	case dpop && strings.EqualFold(scheme, "DPoP"):
		source = FromDPoP
	case dpop:
		return "", 0, &RequestError{Description: "the Authorization scheme must be Bearer or DPoP"}
	default:
		return "", 0, &RequestError{Description: "the Authorization scheme must be Bearer"}
	}
	token = strings.TrimLeft(token, " ")
	if err := checkTokenFraming(token, maxSize); err != nil {
		return "", 0, err
	}
	return token, source, nil
}

// maxCookies is net/http's default limit on the cookies of a request
// (GODEBUG httpcookiemaxnum): past it, Request.Cookies and CookiesNamed
// return none at all.
const maxCookies = 3000

// namedCookie returns how many cookies called name r carries and the value
// of the first, exactly as net/http's Request.CookiesNamed reads them, but
// without building a Cookie (two allocations) for each: it walks the raw
// Cookie header lines once, in time linear in their size, and allocates
// nothing.
//
// The rules are net/http's: each line is split on ";", each part trimmed of
// ASCII space and split at its first "="; a part whose name, trimmed, is not
// name is skipped (its value is never looked at); a value wrapped in double
// quotes loses them; a value holding a byte outside RFC 6265's cookie-octet
// set (plus space and comma, which net/http accepts) is skipped as if it
// were absent. A part without "=" is a cookie with an empty value.
//
// Past maxCookies cookies in all (counted as net/http counts them, one more
// than the semicolons of each line) it asks net/http itself, which then
// returns none, or, when GODEBUG raises or lifts the limit, all of them.
// A GODEBUG limit below the default is not applied here: the limit guards
// net/http's allocations, of which this scan makes none.
func namedCookie(r *http.Request, name string) (value string, n int) {
	lines := r.Header["Cookie"]
	if len(lines) == 0 || !isCookieName(name) {
		return "", 0
	}
	count := 0 // cookies as net/http counts them for its limit
	for _, line := range lines {
		count++
		line = trimCookieSpace(line)
		for line != "" {
			part, rest, semicolon := strings.Cut(line, ";")
			line = rest
			if semicolon {
				count++
			}
			v, ok := cookiePartValue(trimCookieSpace(part), name)
			if !ok {
				continue
			}
			if n == 0 {
				value = v
			}
			n++
		}
	}
	if count > maxCookies {
		cookies := r.CookiesNamed(name)
		if len(cookies) == 0 {
			return "", 0
		}
		return cookies[0].Value, len(cookies)
	}
	return value, n
}

// cookiePartValue returns the value of part, one trimmed "name=value" of a
// Cookie header, if its name is name and its value is one net/http accepts.
// name is a valid cookie name, so the part's name matches exactly when the
// part starts with name followed by optional space and then "=" or nothing.
func cookiePartValue(part, name string) (string, bool) {
	if !strings.HasPrefix(part, name) {
		return "", false
	}
	rest := part[len(name):]
	for rest != "" && isCookieSpace(rest[0]) {
		rest = rest[1:]
	}
	switch {
	case rest == "":
		return "", true // no "=": a cookie with an empty value
	case rest[0] != '=':
		return "", false // a longer name, or one with a space inside
	}
	v := rest[1:]
	if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if !validCookieValue(v) {
		return "", false
	}
	return v, true
}

func isCookieSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// trimCookieSpace is textproto.TrimString: s without leading and trailing
// ASCII space, as net/http trims cookie lines, parts and names.
func trimCookieSpace(s string) string {
	for s != "" && isCookieSpace(s[0]) {
		s = s[1:]
	}
	for s != "" && isCookieSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// isCookieName reports whether name is an RFC 7230 token, the only cookie
// names net/http reads.
func isCookieName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !inSet(name[i], tcharLo, tcharHi) {
			return false
		}
	}
	return true
}

// validCookieValue reports whether every byte of v is one net/http accepts
// in a cookie value: 0x20 to 0x7E except '"', ';' and '\\'. The token is
// hundreds of bytes and is checked on every request that carries it in a
// cookie, so the check is built for speed: strings.IndexByte (vectorised)
// looks for the three excluded characters, and the range is checked eight
// bytes at a time (SWAR). In a word x, a byte b sets its high bit in
// x - 0x20 (each byte) when b < 0x20 (a borrow) or b >= 0xA0, and in
// x + 0x01 (each byte) when 0x7F <= b <= 0xFE. A valid byte sets neither
// and passes no borrow or carry to the next, so the lowest invalid byte of
// a word always shows, whatever the borrows and carries above it do.
func validCookieValue(v string) bool {
	if strings.IndexByte(v, '"') >= 0 || strings.IndexByte(v, ';') >= 0 || strings.IndexByte(v, '\\') >= 0 {
		return false
	}
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	// The string's bytes, read in place (never written).
	b := unsafe.Slice(unsafe.StringData(v), len(v))
	// Two accumulators: two independent dependency chains per round.
	var acc1, acc2 uint64
	for len(b) >= 32 {
		w0 := binary.LittleEndian.Uint64(b[0:8])
		w1 := binary.LittleEndian.Uint64(b[8:16])
		w2 := binary.LittleEndian.Uint64(b[16:24])
		w3 := binary.LittleEndian.Uint64(b[24:32])
		acc1 |= (w0 - ones*0x20) | (w0 + ones) | (w1 - ones*0x20) | (w1 + ones)
		acc2 |= (w2 - ones*0x20) | (w2 + ones) | (w3 - ones*0x20) | (w3 + ones)
		b = b[32:]
	}
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b[0:8])
		acc1 |= (w - ones*0x20) | (w + ones)
		b = b[8:]
	}
	if (acc1|acc2)&highs != 0 {
		return false
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7E {
			return false
		}
	}
	return true
}

// checkTokenFraming refuses an empty token (or one of padding only), then
// applies the size cap.
func checkTokenFraming(token string, maxSize int) error {
	if token == "" {
		return &RequestError{Description: "the bearer token is empty"}
	}
	if len(token) > maxSize {
		return tokenErr(CheckSize, "the token is too large", nil)
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
	// RFC 7230 tchar, the characters of a cookie name:
	// ! # $ % & ' * + - . ^ _ ` | ~ DIGIT ALPHA
	tcharLo = 1<<'!' | 1<<'#' | 1<<'$' | 1<<'%' | 1<<'&' | 1<<'\'' | 1<<'*' | 1<<'+' | 1<<'-' | 1<<'.' | 0x3FF<<'0'
	tcharHi = 0x3FFFFFF<<('A'-64) | 1<<('^'-64) | 1<<('_'-64) | 1<<('`'-64) |
		0x3FFFFFF<<('a'-64) | 1<<('|'-64) | 1<<('~'-64)
)

func inSet(c byte, lo, hi uint64) bool {
	if c < 64 {
		return lo&(1<<c) != 0
	}
	return c < 128 && hi&(1<<(c-64)) != 0
}
