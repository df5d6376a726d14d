package strictjson

import "unicode/utf8"

// Find is the reader's lean mode: it returns the raw value of the first
// top-level member called name in the object in data, stopping there. It
// checks the grammar, the UTF-8 and the depth of everything it steps over,
// but records no names, so it neither allocates nor notices a duplicate:
// use it only to choose something that a strict reading of the whole
// object (Members) confirms later, as a multi-issuer validator reads iss
// to choose whose keys check the signature and then checks iss against the
// issuer chosen. A name written with escapes, which no issuer writes,
// sends the whole input through the strict Iter instead, so that an
// escaped name is never matched otherwise than the strict reading would.
func Find(data []byte, name string) ([]byte, bool) {
	if !utf8.Valid(data) {
		return nil, false
	}
	s := scanner{data: data}
	s.skipSpace()
	if !s.consume('{') {
		return nil, false
	}
	for first := true; ; first = false {
		s.skipSpace()
		if !first && !s.consume(',') {
			return nil, false
		}
		s.skipSpace()
		key, escaped, ok := s.string()
		switch {
		case !ok:
			return nil, false
		case escaped:
			return findStrictly(data, name)
		}
		s.skipSpace()
		if !s.consume(':') {
			return nil, false
		}
		s.skipSpace()
		start := s.pos
		if !s.value(1) {
			return nil, false
		}
		if string(key) == name {
			return data[start:s.pos], true
		}
	}
}

// findStrictly is Find through the strict iterator.
func findStrictly(data []byte, name string) ([]byte, bool) {
	it := NewIter(data, 0)
	for key, value, ok := it.Next(); ok; key, value, ok = it.Next() {
		if string(key) == name {
			return value, true
		}
	}
	return nil, false
}
