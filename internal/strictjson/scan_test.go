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
	edges := []byte{0, 0x1f, ' ', '!', '"', '#', '/', '0', '9', ':', '[', '\\', ']', 0x7f, 0x80, 0xa0, 0xa2, 0xdc, 0xff}
	for _, filler := range []byte{'5', 'a', 0xc3} {
		for n := 1; n <= 17; n++ {
			for pos := range n {
				for v := range 256 {
					d := bytes.Repeat([]byte{filler}, n)
					d[pos] = byte(v)
					checkSkipPlain(t, d)
					checkDigits(t, d)
				}
				for second := pos + 1; second < n; second++ {
					for _, v := range edges {
						for _, w := range edges {
							d := bytes.Repeat([]byte{filler}, n)
							d[pos], d[second] = v, w
							checkSkipPlain(t, d)
							checkDigits(t, d)
						}
					}
				}
			}
		}
	}
}

func checkSkipPlain(t *testing.T, d []byte) {
	t.Helper()
	want := len(d)
	for i, c := range d {
		if c == '"' || c == '\\' || c < ' ' {
			want = i
			break
		}
	}
	if got := skipPlain(d, 0); got != want {
		t.Fatalf("skipPlain(%q) = %d, want %d", d, got, want)
	}
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
