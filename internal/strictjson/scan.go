package strictjson

import (
	"encoding/binary"
	"math/bits"
)

// The scanner checks the JSON grammar over a byte slice, by index. Its
// methods wrap functions over (data, index) that keep the position in a
// register: the hot loops touch no memory but the input.

type scanner struct {
	data []byte
	pos  int
	prev int // start of the last string, quotes included
}

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

// skipSpace returns the index of the first byte at or after d[i] that is
// not JSON whitespace. A byte above ' ', the common case, costs one
// comparison; the others are looked up in a bit set.
func skipSpace(d []byte, i int) int {
	const spaces = 1<<' ' | 1<<'\t' | 1<<'\n' | 1<<'\r'
	for i < len(d) && d[i] <= ' ' && spaces>>d[i]&1 != 0 {
		i++
	}
	return i
}

// scanString reads the JSON string that starts at d[i] and returns the
// index after its closing quote, and whether it holds escapes. It steps
// over plain bytes eight at a time, and over a run of escapes in one go.
func scanString(d []byte, i int) (end int, escaped, ok bool) {
	if i >= len(d) || d[i] != '"' {
		return i, false, false
	}
	for i++; ; {
		for i+8 <= len(d) {
			if special := specialBytes(binary.LittleEndian.Uint64(d[i:])); special != 0 {
				i += bits.TrailingZeros64(special) / 8
				break
			}
			i += 8
		}
		if i >= len(d) {
			return i, false, false
		}
		switch c := d[i]; {
		case c == '"':
			return i + 1, escaped, true
		case c == '\\':
			escaped = true
			if i = skipEscapes(d, i); i < 0 {
				return -i - 1, false, false
			}
		case c < ' ':
			return i, false, false
		default: // a plain byte among the last seven
			i++
		}
	}
}

// specialBytes sets the top bit of each byte of w (eight bytes of a
// string, read little-endian) that a string cannot hold as it is: a
// quote, a backslash or a control character. It may also set the bits of
// bytes after the first such byte (a subtraction borrows only from a byte
// that is one), never before it: the lowest set bit finds it exactly.
func specialBytes(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote, backslash := w^('"'*ones), w^('\\'*ones)
	return ((w - ' '*ones) | (quote - ones) | (backslash - ones)) &^ w & highs
}

// skipEscapes steps over the run of escapes that starts at d[i] and
// returns the index after it, or -1-j for a bad escape at d[j].
func skipEscapes(d []byte, i int) int {
	for i < len(d) && d[i] == '\\' {
		if i+1 >= len(d) {
			return -1 - i
		}
		switch d[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if i+6 > len(d) || !isHex4(d[i+2:i+6]) {
				return -1 - i
			}
			i += 6
		default:
			return -1 - i
		}
	}
	return i
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
	var outer [maxDepth]byte // the closers of the open containers around the innermost
	open := 0                // how many containers are open
	var top byte             // the innermost's closer, held apart from the stack
	var ok bool
	if depth > maxDepth {
		return i, false
	}
value:
	for {
		// A value is expected here, at nesting depth+open, at most
		// maxDepth (checked as each container opens, empty or not).
		if i >= len(d) {
			return i, false
		}
		switch c := d[i]; c {
		case '"':
			if i, _, ok = scanString(d, i); !ok {
				return i, false
			}
		case '{', '[':
			for { // containers opened one inside the other, in one loop
				outer[open] = top
				open++
				top = c + 2 // '}' and ']' follow '{' and '[' by two
				if depth+open > maxDepth {
					return i, false // nested too deep, even if empty
				}
				if i = skipSpace(d, i+1); i < len(d) && d[i] == top {
					i++
					open--
					top = outer[open]
					break // an empty container is a whole value
				}
				if c == '{' {
					if i, ok = scanMemberName(d, i); !ok {
						return i, false
					}
					continue value
				}
				if i >= len(d) || d[i] != '[' && d[i] != '{' {
					continue value // the array's first value
				}
				c = d[i]
			}
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
			if i < len(d) && (d[i] == '.' || d[i]|0x20 == 'e') { // 'E' is 'e' without 0x20
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
			if d[i] == top {
				i++
				open--
				top = outer[open]
				continue
			}
			if d[i] != ',' {
				return i, false
			}
			i = skipSpace(d, i+1)
			if top == '}' {
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

// digits returns the index of the first byte at or after d[i] that is not
// a decimal digit, eight bytes at a time while it can.
func digits(d []byte, i int) int {
	for i+8 <= len(d) && eightDigits(binary.LittleEndian.Uint64(d[i:])) {
		i += 8
	}
	for i < len(d) && '0' <= d[i] && d[i] <= '9' {
		i++
	}
	return i
}

// eightDigits reports whether the eight bytes of w are all '0' to '9'
// (0x30 to 0x39): each has the high nibble 3, and adding 6 to it keeps it
// so (no byte carries into the next once the first test holds).
func eightDigits(w uint64) bool {
	const highNibbles, three, six = 0xf0f0f0f0f0f0f0f0, 0x3333333333333333, 0x0606060606060606
	return w&highNibbles|(w+six)&highNibbles>>4 == three
}
