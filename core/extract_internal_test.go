package core

import (
	"strings"
	"testing"
)

// validCookieByte is net/http's rule for a byte of a cookie value, written
// plainly: the reference for the eight-bytes-at-a-time check.
func validCookieByte(c byte) bool {
	return 0x20 <= c && c < 0x7f && c != '"' && c != ';' && c != '\\'
}

func validCookieValueRef(v string) bool {
	for i := 0; i < len(v); i++ {
		if !validCookieByte(v[i]) {
			return false
		}
	}
	return true
}

// Every byte value, at every position of a word and of the tail, alone and
// next to every other byte value: the word-wise check agrees with the
// byte-wise rule (carries and borrows between the bytes of a word included).
func TestValidCookieValueEveryByte(t *testing.T) {
	// Lengths up to 72 cover the 32-byte rounds, the 8-byte ones and the
	// byte-wise tail.
	for n := 0; n <= 72; n++ {
		for pos := range n {
			for c := range 256 {
				b := []byte(strings.Repeat("a", n))
				b[pos] = byte(c)
				if got, want := validCookieValue(string(b)), validCookieValueRef(string(b)); got != want {
					t.Fatalf("%q: %v, want %v", b, got, want)
				}
			}
		}
	}
	for _, base := range []string{strings.Repeat("abcdefgh", 2), strings.Repeat("abcdefgh", 5)} {
		for c1 := range 256 {
			for c2 := range 256 {
				for _, pos := range []int{0, 3, 6, 8, 14, 22, 30, 33} {
					if pos+1 >= len(base) {
						continue
					}
					b := []byte(base)
					b[pos], b[pos+1] = byte(c1), byte(c2)
					if got, want := validCookieValue(string(b)), validCookieValueRef(string(b)); got != want {
						t.Fatalf("%q: %v, want %v", b, got, want)
					}
				}
			}
		}
	}
}

func FuzzValidCookieValue(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln")
	f.Add("abcdefg\x7f")
	f.Add("\x00\xff\x80\x1f\x20\x7e\x7f\"\\;")
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := validCookieValue(v), validCookieValueRef(v); got != want {
			t.Fatalf("%q: %v, want %v", v, got, want)
		}
	})
}

// isCookieName accepts exactly RFC 7230's tchar, as net/http does.
func TestIsCookieName(t *testing.T) {
	const tchar = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	for c := range 256 {
		want := strings.IndexByte(tchar, byte(c)) >= 0
		if got := isCookieName(string([]byte{byte(c)})); got != want {
			t.Errorf("%q: %v, want %v", rune(c), got, want)
		}
		if got := isCookieName("a" + string([]byte{byte(c)}) + "b"); got != want {
			t.Errorf("a%qb: %v, want %v", rune(c), got, want)
		}
	}
	if isCookieName("") {
		t.Error("the empty name is accepted")
	}
}
