package strictjson

import (
	"bytes"
	"strconv"
)

// The value readers take one raw value as Iter hands it out (well formed,
// surrounding space trimmed) and read it as one type, refusing any other.

// RawString returns the content of a raw JSON string value between its
// quotes, escapes still in it, without allocating.
func RawString(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	return raw[1 : len(raw)-1], true
}

// String decodes a raw JSON value that must be a string (not null).
func String(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	if end, _, ok := scanString(raw, 0); !ok || end != len(raw) {
		return "", false
	}
	var buf [64]byte // most strings fit: one allocation, the string's
	return string(unescape(buf[:0], inner)), true
}

// Strings decodes a raw JSON value that must be an array of strings (not
// null; an empty array gives a nil slice).
func Strings(raw []byte) ([]string, bool) {
	var out []string
	err := Array(raw, func(elem []byte) error {
		v, ok := String(elem)
		if !ok {
			return ErrMalformed
		}
		out = append(out, v)
		return nil
	})
	return out, err == nil
}

// Array calls fn with each raw element of a raw JSON value that must be an
// array, in order, and fails with ErrMalformed on any other value or with
// fn's first error.
func Array(raw []byte, fn func(elem []byte) error) error {
	if len(raw) == 0 || raw[0] != '[' {
		return ErrMalformed
	}
	s := scanner{data: raw, pos: 1}
	s.skipSpace()
	if s.consume(']') {
		return end(&s)
	}
	for {
		s.skipSpace()
		start := s.pos
		if !s.value(2) {
			return ErrMalformed
		}
		if err := fn(raw[start:s.pos]); err != nil {
			return err
		}
		s.skipSpace()
		if s.consume(']') {
			return end(&s)
		}
		if !s.consume(',') {
			return ErrMalformed
		}
	}
}

// end refuses anything but space after an array's closing bracket.
func end(s *scanner) error {
	if s.skipSpace(); s.pos != len(s.data) {
		return ErrMalformed
	}
	return nil
}

// MaxNumericDate is 9999-12-31T23:59:59Z: far enough for any real token,
// small enough to convert to time.Time exactly.
const MaxNumericDate = 253402300799

// Seconds decodes a raw JSON number of seconds since the epoch (a JWT
// NumericDate). Only values in [0, MaxNumericDate] are accepted, so that
// hostile values such as 1e300 or -1 can never wrap around when converted.
func Seconds(raw []byte) (float64, bool) {
	if len(raw) == 0 || !(raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9') {
		return 0, false
	}
	var n float64
	if len(raw) <= 15 {
		integer := true
		for _, c := range raw {
			if c < '0' || c > '9' {
				integer = false
				break
			}
			n = n*10 + float64(c-'0')
		}
		if integer {
			return n, n <= MaxNumericDate
		}
	}
	n, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || n < 0 || n > MaxNumericDate {
		return 0, false
	}
	return n, true
}
