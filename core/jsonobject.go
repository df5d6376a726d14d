package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// A strict reader for the JSON objects of a JWS (its header and claims) and
// of the answers this library reads from an identity provider.
// encoding/json is unsuitable for security decisions here: it matches keys
// case-insensitively (so "ISS" would fill Issuer) and lets a duplicate key
// silently win. This reader walks the top-level members of one object,
// compares keys byte for byte, refuses duplicates, invalid UTF-8, trailing
// data and nesting deeper than maxJSONDepth, and hands each raw value to the
// caller without reflection. Its cost is linear in the input: the duplicate
// check compares a key with at most maxInlineKeys others, then switches to
// a map, so thousands of members cannot make it quadratic.

const maxJSONDepth = 32

// maxInlineKeys is how many distinct keys objectIter tracks without
// allocating; past it, a map takes over.
const maxInlineKeys = 32

var (
	errJSON           = errors.New("malformed JSON object")
	errTooManyMembers = errors.New("JSON object has too many members")
)

// objectIter walks the members of one JSON object:
//
//	it := newObjectIter(data, max)
//	for key, value, ok := it.next(); ok; key, value, ok = it.next() { ... }
//	if it.err != nil { ... }
//
// next reports false at the end of the object or at the first error; err is
// nil only when the whole input was exactly one well-formed object with
// unique keys (and, if max > 0, at most max members). A caller that stops
// early must not take the object as valid. The iterator keeps offsets, not
// slices, so that walking a buffer on the stack keeps it there.
type objectIter struct {
	s         scanner
	max       int
	count     int
	err       error
	started   bool
	finished  bool
	seen      [maxInlineKeys]span // the first keys, compared one by one
	nseen     int
	unescaped *unescapedKeys      // copies of escaped keys among them
	more      map[string]struct{} // every key, once there are more
}

// span locates a key: in the input, or (start -1) at index end of the
// unescaped copies.
type span struct{ start, end int }

// unescapedKeys lives on the heap apart from the iterator, so that keeping
// copies does not make the iterator's input escape too.
type unescapedKeys struct{ keys [][]byte }

func newObjectIter(data []byte, maxMembers int) objectIter {
	return objectIter{s: scanner{data: data}, max: maxMembers}
}

func (it *objectIter) next() (key, value []byte, ok bool) {
	if it.err != nil || it.finished {
		return nil, nil, false
	}
	s := &it.s
	if !it.started {
		it.started = true
		if !utf8.Valid(s.data) {
			return it.fail(errJSON)
		}
		s.skipSpace()
		if !s.consume('{') {
			return it.fail(errJSON)
		}
		s.skipSpace()
		if s.consume('}') {
			return it.end()
		}
	} else {
		s.skipSpace()
		if s.consume('}') {
			return it.end()
		}
		if !s.consume(',') {
			return it.fail(errJSON)
		}
		s.skipSpace()
	}
	rawKey, escaped, ok := s.string()
	if !ok {
		return it.fail(errJSON)
	}
	key = rawKey
	sp := span{s.prev + 1, s.pos - 1}
	if escaped {
		// Unescaping copies (rare, and it keeps the input from escaping
		// to the heap on the common path).
		var k string
		if json.Unmarshal(bytes.Clone(s.data[s.prev:s.pos]), &k) != nil {
			return it.fail(errJSON)
		}
		copied := []byte(k)
		key = copied
		if it.more == nil && it.nseen < maxInlineKeys { // kept aside for duplicate
			if it.unescaped == nil {
				it.unescaped = new(unescapedKeys)
			}
			sp = span{-1, len(it.unescaped.keys)}
			it.unescaped.keys = append(it.unescaped.keys, copied)
		}
	}
	it.count++
	if it.max > 0 && it.count > it.max {
		return it.fail(errTooManyMembers)
	}
	if it.duplicate(key, sp) {
		return it.fail(errJSON)
	}
	s.skipSpace()
	if !s.consume(':') {
		return it.fail(errJSON)
	}
	s.skipSpace()
	start := s.pos
	if !s.value(1) {
		return it.fail(errJSON)
	}
	return key, s.data[start:s.pos], true
}

func (it *objectIter) fail(err error) (key, value []byte, ok bool) {
	it.err = err
	return nil, nil, false
}

func (it *objectIter) end() (key, value []byte, ok bool) {
	it.s.skipSpace()
	if it.s.pos != len(it.s.data) {
		return it.fail(errJSON)
	}
	it.finished = true
	return nil, nil, false
}

// duplicate records key, found at sp (see keyAt), and reports whether it
// was seen before. The first maxInlineKeys keys are
// compared one by one; past them a map takes over, so the cost stays
// linear however many members there are.
func (it *objectIter) duplicate(key []byte, sp span) bool {
	if it.more == nil {
		for _, o := range it.seen[:it.nseen] {
			if bytes.Equal(it.keyAt(o), key) {
				return true
			}
		}
		if it.nseen < maxInlineKeys {
			it.seen[it.nseen] = sp
			it.nseen++
			return false
		}
		it.more = make(map[string]struct{}, 2*maxInlineKeys)
		for _, o := range it.seen[:it.nseen] {
			it.more[string(it.keyAt(o))] = struct{}{}
		}
	}
	if _, dup := it.more[string(key)]; dup {
		return true
	}
	it.more[string(key)] = struct{}{}
	return false
}

// keyAt returns a key recorded by duplicate.
func (it *objectIter) keyAt(o span) []byte {
	if o.start < 0 {
		return it.unescaped.keys[o.end]
	}
	return it.s.data[o.start:o.end]
}

// objectMembers calls fn for each member of the JSON object in data, in
// order, with the unescaped key and the raw value. It fails on anything that
// is not exactly one well-formed object with unique keys.
func objectMembers(data []byte, fn func(key, value []byte) error) error {
	it := newObjectIter(data, 0)
	for key, value, ok := it.next(); ok; key, value, ok = it.next() {
		if err := fn(key, value); err != nil {
			return err
		}
	}
	return it.err
}

type scanner struct {
	data []byte
	pos  int
	prev int // start of the last string, quotes included
}

// The scanner's methods wrap functions over (data, index) that keep the
// position in a register: the hot loops touch no memory but the input.

func (s *scanner) skipSpace() { s.pos = skipSpace(s.data, s.pos) }

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
	end, escaped, ok := scanString(s.data, s.pos)
	if !ok {
		return nil, false, false
	}
	s.pos = end
	return s.data[s.prev+1 : end-1], escaped, true
}

// value skips one JSON value at nesting depth, checking its syntax.
func (s *scanner) value(depth int) bool {
	end, ok := scanValue(s.data, s.pos, depth)
	s.pos = end
	return ok
}

func skipSpace(d []byte, i int) int {
	for i < len(d) {
		switch d[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString reads the JSON string that starts at d[i] and returns the
// index after its closing quote, and whether it holds escapes.
func scanString(d []byte, i int) (end int, escaped, ok bool) {
	if i >= len(d) || d[i] != '"' {
		return i, false, false
	}
	for i++; i < len(d); {
		switch c := d[i]; {
		case c == '"':
			return i + 1, escaped, true
		case c == '\\':
			escaped = true
			if i+1 >= len(d) {
				return i, false, false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || !isHex4(d[i+2:i+6]) {
					return i, false, false
				}
				i += 6
			default:
				return i, false, false
			}
		case c < 0x20:
			return i, false, false
		default:
			i++
		}
	}
	return i, false, false
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// scanValue skips the JSON value that starts at d[i], at nesting depth,
// and returns the index after it. It is iterative, with the open
// containers on a small stack: one loop per byte rather than a call per
// nested value.
func scanValue(d []byte, i, depth int) (int, bool) {
	var closers [maxJSONDepth]byte
	open := 0
	var ok bool
	for {
		// A value is expected here, at nesting depth+open.
		if depth+open > maxJSONDepth || i >= len(d) {
			return i, false
		}
		switch c := d[i]; c {
		case '"':
			if i, _, ok = scanString(d, i); !ok {
				return i, false
			}
		case '{', '[':
			closers[open] = c + 2 // '}' and ']' follow '{' and '[' by two
			open++
			if i = skipSpace(d, i+1); i < len(d) && d[i] == c+2 {
				i++
				open--
				break // an empty container is a whole value
			}
			if c == '{' {
				if i, ok = scanMemberName(d, i); !ok {
					return i, false
				}
			}
			continue // the container's first value
		case 't':
			if i, ok = scanLiteral(d, i, "true"); !ok {
				return i, false
			}
		case 'f':
			if i, ok = scanLiteral(d, i, "false"); !ok {
				return i, false
			}
		case 'n':
			if i, ok = scanLiteral(d, i, "null"); !ok {
				return i, false
			}
		case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			// An integer, the common number, without a call. A leading
			// zero stands alone ("01" is no number: the next byte is then
			// refused by the caller's grammar).
			if c == '0' {
				i++
			} else {
				i = digits(d, i+1)
			}
			if i < len(d) && (d[i] == '.' || d[i] == 'e' || d[i] == 'E') {
				if i, ok = scanNumberTail(d, i); !ok {
					return i, false
				}
			}
		default:
			if i, ok = scanNumber(d, i); !ok {
				return i, false
			}
		}
		// A value ended: close what ends here, or move to the next value.
		for {
			if open == 0 {
				return i, true
			}
			if i = skipSpace(d, i); i >= len(d) {
				return i, false
			}
			if d[i] == closers[open-1] {
				i++
				open--
				continue
			}
			if d[i] != ',' {
				return i, false
			}
			i = skipSpace(d, i+1)
			if closers[open-1] == '}' {
				if i, ok = scanMemberName(d, i); !ok {
					return i, false
				}
			}
			break
		}
	}
}

// scanMemberName reads `"name" :` inside a nested object and returns the
// index of the member's value.
func scanMemberName(d []byte, i int) (int, bool) {
	i, _, ok := scanString(d, i)
	if !ok {
		return i, false
	}
	if i = skipSpace(d, i); i >= len(d) || d[i] != ':' {
		return i, false
	}
	return skipSpace(d, i+1), true
}

func scanLiteral(d []byte, i int, lit string) (int, bool) {
	if len(d)-i >= len(lit) && string(d[i:i+len(lit)]) == lit {
		return i + len(lit), true
	}
	return i, false
}

// scanNumber checks the JSON number grammar at d[i]:
// -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
func scanNumber(d []byte, i int) (int, bool) {
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++ // no leading zeros
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		i = digits(d, i)
	default:
		return i, false
	}
	return scanNumberTail(d, i)
}

// scanNumberTail checks the optional fraction and exponent of a number
// whose integer part ends at d[i].
func scanNumberTail(d []byte, i int) (int, bool) {
	if i < len(d) && d[i] == '.' {
		j := digits(d, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := digits(d, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func digits(d []byte, i int) int {
	for i < len(d) && '0' <= d[i] && d[i] <= '9' {
		i++
	}
	return i
}

// rawJSONString returns the content of a raw JSON string value between its
// quotes, escapes still in it, without allocating.
func rawJSONString(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	return raw[1 : len(raw)-1], true
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
	if json.Unmarshal(bytes.Clone(raw), &v) != nil {
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
