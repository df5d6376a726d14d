package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// A strict reader for the two JSON objects of a JWS: the header and the
// claims. encoding/json is unsuitable for security decisions here: it matches
// keys case-insensitively (so "ISS" would fill Issuer) and lets a duplicate
// key silently win. This reader walks the top-level members of one object,
// compares keys byte for byte, refuses duplicates, invalid UTF-8, trailing
// data and nesting deeper than maxJSONDepth, and hands each raw value to the
// caller without reflection.

const maxJSONDepth = 32

// maxInlineKeys is how many distinct keys objectMembers tracks without
// allocating; objects with more keys still work.
const maxInlineKeys = 24

var errJSON = errors.New("malformed JSON object")

// objectMembers calls fn for each member of the JSON object in data, in
// order, with the unescaped key and the raw value. It fails on anything that
// is not exactly one well-formed object with unique keys.
func objectMembers(data []byte, fn func(key, value []byte) error) error {
	if !utf8.Valid(data) {
		return errJSON
	}
	s := scanner{data: data}
	s.skipSpace()
	if !s.consume('{') {
		return errJSON
	}
	var inline [maxInlineKeys][]byte
	seen := inline[:0]
	s.skipSpace()
	if !s.consume('}') {
		for {
			s.skipSpace()
			rawKey, escaped, ok := s.string()
			if !ok {
				return errJSON
			}
			key := rawKey
			if escaped {
				var k string
				if json.Unmarshal(s.data[s.prev:s.pos], &k) != nil {
					return errJSON
				}
				key = []byte(k)
			}
			for _, k := range seen {
				if bytes.Equal(k, key) {
					return errJSON
				}
			}
			seen = append(seen, key)
			s.skipSpace()
			if !s.consume(':') {
				return errJSON
			}
			s.skipSpace()
			start := s.pos
			if !s.value(1) {
				return errJSON
			}
			if err := fn(key, s.data[start:s.pos]); err != nil {
				return err
			}
			s.skipSpace()
			if s.consume('}') {
				break
			}
			if !s.consume(',') {
				return errJSON
			}
		}
	}
	s.skipSpace()
	if s.pos != len(s.data) {
		return errJSON
	}
	return nil
}

type scanner struct {
	data []byte
	pos  int
	prev int // start of the last string, quotes included
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) consume(c byte) bool {
	if s.pos < len(s.data) && s.data[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

// string reads a JSON string and returns its content without the quotes and
// whether it holds escapes (then the content still needs unescaping).
func (s *scanner) string() (content []byte, escaped, ok bool) {
	s.prev = s.pos
	if !s.consume('"') {
		return nil, false, false
	}
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return s.data[start : s.pos-1], escaped, true
		case c == '\\':
			escaped = true
			if s.pos+1 >= len(s.data) {
				return nil, false, false
			}
			switch s.data[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(s.data) || !isHex4(s.data[s.pos+2:s.pos+6]) {
					return nil, false, false
				}
				s.pos += 6
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		default:
			s.pos++
		}
	}
	return nil, false, false
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// value skips one JSON value, checking its syntax.
func (s *scanner) value(depth int) bool {
	if depth > maxJSONDepth || s.pos >= len(s.data) {
		return false
	}
	switch c := s.data[s.pos]; {
	case c == '"':
		_, _, ok := s.string()
		return ok
	case c == '{':
		return s.container('}', depth, true)
	case c == '[':
		return s.container(']', depth, false)
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		return s.number()
	}
}

func (s *scanner) container(end byte, depth int, object bool) bool {
	s.pos++
	s.skipSpace()
	if s.consume(end) {
		return true
	}
	for {
		s.skipSpace()
		if object {
			if _, _, ok := s.string(); !ok {
				return false
			}
			s.skipSpace()
			if !s.consume(':') {
				return false
			}
			s.skipSpace()
		}
		if !s.value(depth + 1) {
			return false
		}
		s.skipSpace()
		if s.consume(end) {
			return true
		}
		if !s.consume(',') {
			return false
		}
	}
}

func (s *scanner) literal(lit string) bool {
	if len(s.data)-s.pos >= len(lit) && string(s.data[s.pos:s.pos+len(lit)]) == lit {
		s.pos += len(lit)
		return true
	}
	return false
}

// number checks the JSON number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
func (s *scanner) number() bool {
	s.consume('-')
	if s.consume('0') {
		// no leading zeros
	} else if !s.digits() {
		return false
	}
	if s.consume('.') && !s.digits() {
		return false
	}
	if s.consume('e') || s.consume('E') {
		if !s.consume('+') {
			s.consume('-')
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

func (s *scanner) digits() bool {
	start := s.pos
	for s.pos < len(s.data) && '0' <= s.data[s.pos] && s.data[s.pos] <= '9' {
		s.pos++
	}
	return s.pos > start
}

// jsonString decodes a raw JSON value that must be a string.
func jsonString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	var v string
	if json.Unmarshal(raw, &v) != nil {
		return "", false
	}
	return v, true
}

// jsonStrings decodes a raw JSON value that must be an array of strings.
func jsonStrings(raw []byte) ([]string, bool) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	s := scanner{data: raw, pos: 1}
	var out []string
	s.skipSpace()
	if s.consume(']') {
		return out, true
	}
	for {
		s.skipSpace()
		start := s.pos
		if _, _, ok := s.string(); !ok {
			return nil, false
		}
		v, ok := jsonString(raw[start:s.pos])
		if !ok {
			return nil, false
		}
		out = append(out, v)
		s.skipSpace()
		if s.consume(']') {
			return out, true
		}
		if !s.consume(',') {
			return nil, false
		}
	}
}

// jsonSeconds decodes a raw JSON number of seconds since the epoch (a JWT
// NumericDate). Only values in [0, maxNumericDate] are accepted, so that
// hostile values such as 1e300 or -1 can never wrap around when converted.
func jsonSeconds(raw []byte) (float64, bool) {
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
			return n, n <= maxNumericDate
		}
	}
	n, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || n < 0 || n > maxNumericDate {
		return 0, false
	}
	return n, true
}

// maxNumericDate is 9999-12-31T23:59:59Z: far enough for any real token,
// small enough to convert to time.Time exactly.
const maxNumericDate = 253402300799
