package strictjson

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// unescape appends the content of a JSON string, found between its quotes
// by scanString (so every escape in it is well formed), to dst with its
// escapes replaced, exactly as encoding/json decodes it: a \u escape of a
// lone or unpaired UTF-16 surrogate becomes U+FFFD, and so does each byte
// of invalid UTF-8 (which the strict reader refuses before it gets here).
// It allocates only to grow dst, where encoding/json would cost a decoder,
// a copy of the input and reflection for each string.
func unescape(dst, s []byte) []byte {
	for len(s) > 0 {
		plain := bytes.IndexByte(s, '\\')
		if plain < 0 {
			plain = len(s)
		}
		dst = appendUTF8(dst, s[:plain])
		if s = s[plain:]; len(s) == 0 {
			break
		}
		var r rune
		r, s = unescapeOne(s)
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// unescapeOne decodes the escape at the start of s (a backslash and what
// follows) and returns it and the rest of s.
func unescapeOne(s []byte) (rune, []byte) {
	switch s[1] {
	case 'b':
		return '\b', s[2:]
	case 'f':
		return '\f', s[2:]
	case 'n':
		return '\n', s[2:]
	case 'r':
		return '\r', s[2:]
	case 't':
		return '\t', s[2:]
	case 'u':
		r := hex4(s[2:6])
		s = s[6:]
		if !utf16.IsSurrogate(r) {
			return r, s
		}
		// A surrogate counts only as the first of a pair of \u escapes.
		if len(s) >= 6 && s[0] == '\\' && s[1] == 'u' && isHex4(s[2:6]) {
			if pair := utf16.DecodeRune(r, hex4(s[2:6])); pair != utf8.RuneError {
				return pair, s[6:]
			}
		}
		return utf8.RuneError, s
	}
	return rune(s[1]), s[2:] // '"', '\\' and '/' stand for themselves
}

// hex4 reads four hexadecimal digits, checked by isHex4.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// appendUTF8 appends s to dst, each byte of invalid UTF-8 in it replaced
// by U+FFFD, as encoding/json does.
func appendUTF8(dst, s []byte) []byte {
	if utf8.Valid(s) {
		return append(dst, s...)
	}
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		if r == utf8.RuneError && size == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, s[:size]...)
		}
		s = s[size:]
	}
	return dst
}
