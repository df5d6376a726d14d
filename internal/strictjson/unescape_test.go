package strictjson

import (
	"encoding/json"
	"testing"
)

// TestUnescapeMatchesEncodingJSON holds String, and so the unescaping of
// member names, to encoding/json on every kind of escape, surrogate pairs
// and their broken forms, and invalid UTF-8 (which the strict reader
// refuses before unescaping, but String may be handed).
func TestUnescapeMatchesEncodingJSON(t *testing.T) {
	for _, raw := range []string{
		`"\"\\\/\b\f\n\r\t"`,
		`"\u0000\u001f\u0041\u00e9\u20AC\uFFFD\uffff"`,
		`"a\ud83d\ude00b"`, // a pair
		`"\ud83d"`,         // a lone high surrogate
		`"\ude00"`,         // a lone low surrogate
		`"\ude00\ud83d"`,   // a pair the wrong way round
		`"\ud83d\ud83d\ude00"`,
		`"\ud83d\u0041"`,      // a high surrogate before a non-surrogate
		`"\ud83d\\ude00"`,     // ... before an escaped backslash
		`"\ud83dx\ude00"`,     // ... before a plain character
		`"\ud83d\ude0"`,       // a short escape after a surrogate
		`"\uDBFF\uDFFF"`,      // the last pair
		`"é€😀\n"`,             // multi-byte UTF-8 around an escape
		"\"\xff\\n\xc3\"",     // invalid UTF-8 around an escape
		"\"\xed\xa0\x80\\t\"", // an encoded surrogate
		`"\x"`,
		`"\u12"`,
		`"a\"`,
		"\"\x01\\n\"",
	} {
		var want string
		wantOK := json.Unmarshal([]byte(raw), &want) == nil
		if got, ok := String([]byte(raw)); ok != wantOK || got != want {
			t.Errorf("String(%q) = %q, %v; encoding/json: %q, %v", raw, got, ok, want, wantOK)
		}
	}
}
