package strictjson

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// TestWordAtATimeScans holds the eight-bytes-at-a-time scans to a byte
// by byte reading: every byte value at every position of a word and of
// its tail, among bytes the scan steps over; and pairs of bytes near the
// bounds the scans test (a borrow from one must not hide or fake another).
func TestWordAtATimeScans(t *testing.T) {
	edges := []byte{
		0, 0x1f, ' ', '!', '"', '#', '/', '0', '9', ':', 'u', '[', '\\', ']', 0x7f, 0x80, 0xa0, 0xa2, 0xdc, 0xff,
	}
	for _, filler := range []byte{'5', 'a', 0xc3} {
		for n := 1; n <= 17; n++ {
			for pos := range n {
				for v := range 256 {
					d := bytes.Repeat([]byte{filler}, n)
					d[pos] = byte(v)
					checkScanString(t, d)
					checkDigits(t, d)
				}
				for second := pos + 1; second < n && n <= 10; second++ { // a word and a tail
					for _, v := range edges {
						for _, w := range edges {
							d := bytes.Repeat([]byte{filler}, n)
							d[pos], d[second] = v, w
							checkScanString(t, d)
							checkDigits(t, d)
						}
					}
				}
			}
		}
	}
}

// checkScanString holds scanString to the byte-by-byte scanner it
// replaced, on d as the content of a string and with its closing quote.
func checkScanString(t *testing.T, d []byte) {
	t.Helper()
	for _, in := range [][]byte{append([]byte{'"'}, d...), append(append([]byte{'"'}, d...), '"')} {
		end, escaped, ok := scanString(in, 0)
		wantEnd, wantEscaped, wantOK := scanStringBytewise(in, 0)
		if end != wantEnd || escaped != wantEscaped || ok != wantOK {
			t.Fatalf("scanString(%q) = %d, %v, %v; want %d, %v, %v", in, end, escaped, ok, wantEnd, wantEscaped, wantOK)
		}
	}
}

// scanStringBytewise is scanString one byte at a time.
func scanStringBytewise(d []byte, i int) (end int, escaped, ok bool) {
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

func checkDigits(t *testing.T, d []byte) {
	t.Helper()
	want := 0
	for want < len(d) && '0' <= d[want] && d[want] <= '9' {
		want++
	}
	if got := digits(d, 0); got != want {
		t.Fatalf("digits(%q) = %d, want %d", d, got, want)
	}
	if len(d) >= 8 {
		w := binary.LittleEndian.Uint64(d)
		if got := eightDigits(w); got != (want >= 8) {
			t.Fatalf("eightDigits(%q) = %v", d[:8], got)
		}
	}
}
