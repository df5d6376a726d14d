package core

import (
	"bytes"

	"github.com/identsphere/identsphere-go/internal/strictjson"
)

// claimText reads the string claims of one claims JSON as substrings of a
// single copy of it, so that a token's iss, sub, aud, scope and the rest
// cost one allocation together instead of one each: decodeClaims runs on
// every token that is not in the cache. The strings hold the copy, never
// the JSON's own bytes, so nothing a caller does to the JSON later can
// change a claim that has been read.
type claimText struct {
	json []byte // the claims JSON whose raw values str is given
	text string // a copy of json, made by the first string read
}

// str decodes a raw JSON value that must be a string, as strictjson.String
// does; a value without escapes is a substring of the copy. raw is a value
// strictjson's iterator handed out, a slice of t.json: which part of the
// copy it is follows from the capacity it has left, and is confirmed by
// comparing the bytes, so a raw value from anywhere else is still read
// right (copied on its own).
func (t *claimText) str(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	switch {
	case len(inner) == 0:
		return "", true
	case bytes.IndexByte(inner, '\\') >= 0:
		return strictjson.String(raw) // to unescape, into a string of its own
	}
	if t.text == "" {
		t.text = string(t.json)
	}
	off := cap(t.json) - cap(inner)
	if off < 0 || off+len(inner) > len(t.text) || t.text[off:off+len(inner)] != string(inner) {
		return string(inner), true
	}
	return t.text[off : off+len(inner)], true
}

// strs decodes a raw JSON value that must be an array of strings, as
// strictjson.Strings does (an empty array gives a nil slice).
func (t *claimText) strs(raw []byte) ([]string, bool) {
	var out []string
	err := strictjson.Array(raw, func(elem []byte) error {
		v, ok := t.str(elem)
		if !ok {
			return strictjson.ErrMalformed
		}
		out = append(out, v)
		return nil
	})
	return out, err == nil
}
