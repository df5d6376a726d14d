package strictjson

import (
	"errors"
	"unicode/utf8"
)

// maxDepth is the deepest nesting of arrays and objects accepted, the
// object itself counting as one.
const maxDepth = 32

var (
	// ErrMalformed: the input is not exactly one well-formed object with
	// unique member names within the limits above.
	ErrMalformed = errors.New("malformed JSON object")
	// ErrTooManyMembers: the object has more members than its reader's cap.
	ErrTooManyMembers = errors.New("JSON object has too many members")
	// ErrDuplicate: a member name appears twice (returned by MemberMap only;
	// Iter and Members report it as ErrMalformed).
	ErrDuplicate = errors.New("a member name appears twice")
)

// Iter walks the members of one JSON object:
//
//	it := strictjson.NewIter(data, max)
//	for key, value, ok := it.Next(); ok; key, value, ok = it.Next() { ... }
//	if it.Err() != nil { ... }
//
// Next reports false at the end of the object or at the first error; Err
// is nil only when the whole input was exactly one well-formed object with
// unique keys (and, if max > 0, at most max members). A caller that stops
// early must not take the object as valid. The iterator keeps offsets, not
// slices, so that walking a buffer on the stack keeps it there.
type Iter struct {
	s        scanner
	max      int
	count    int
	err      error
	started  bool
	finished bool
	keepDups bool // MemberMap: a duplicate is noted, the walk goes on
	dup      bool
	names    nameSet
}

// NewIter returns an iterator over the members of the object in data;
// maxMembers > 0 caps their number (ErrTooManyMembers past it).
func NewIter(data []byte, maxMembers int) Iter {
	return Iter{s: scanner{data: data}, max: maxMembers}
}

// Offset is the index in the input just after the value Next returned
// last: a caller that must not keep a view into the input (so that the
// input can stay on the stack) keeps offsets instead.
func (it *Iter) Offset() int { return it.s.pos }

// Err is nil once Next has reported the end of a valid object.
func (it *Iter) Err() error { return it.err }

// Next returns the next member: its unescaped name and its raw value.
func (it *Iter) Next() (key, value []byte, ok bool) {
	if it.err != nil || it.finished {
		return nil, nil, false
	}
	s := &it.s
	if !it.started {
		it.started = true
		if !utf8.Valid(s.data) {
			return it.fail(ErrMalformed)
		}
		s.skipSpace()
		if !s.consume('{') {
			return it.fail(ErrMalformed)
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
			return it.fail(ErrMalformed)
		}
		s.skipSpace()
	}
	rawKey, escaped, ok := s.string()
	if !ok {
		return it.fail(ErrMalformed)
	}
	key = rawKey
	sp := span{s.prev + 1, s.pos - 1}
	if escaped {
		// Unescaping copies, into the names' own buffer: the input is
		// never written to, and a name without escapes, the common
		// case, is handed out in place.
		key, sp = it.names.copyUnescaped(rawKey)
	}
	it.count++
	if it.max > 0 && it.count > it.max {
		return it.fail(ErrTooManyMembers)
	}
	if it.names.add(s.data, key, sp) {
		if !it.keepDups {
			return it.fail(ErrMalformed)
		}
		it.dup = true
	}
	s.skipSpace()
	if !s.consume(':') {
		return it.fail(ErrMalformed)
	}
	s.skipSpace()
	start := s.pos
	if !s.value(1) {
		return it.fail(ErrMalformed)
	}
	return key, s.data[start:s.pos], true
}

func (it *Iter) fail(err error) (key, value []byte, ok bool) {
	it.err = err
	return nil, nil, false
}

func (it *Iter) end() (key, value []byte, ok bool) {
	it.s.skipSpace()
	if it.s.pos != len(it.s.data) {
		return it.fail(ErrMalformed)
	}
	it.finished = true
	return nil, nil, false
}

// Members calls fn for each member of the JSON object in data, in order,
// with the unescaped key and the raw value. It fails on anything that is
// not exactly one well-formed object with unique keys, and with fn's first
// error.
func Members(data []byte, fn func(key, value []byte) error) error {
	it := NewIter(data, 0)
	for key, value, ok := it.Next(); ok; key, value, ok = it.Next() {
		if err := fn(key, value); err != nil {
			return err
		}
	}
	return it.err
}

// MemberMap reads the object in data into its members by name, for callers
// that need them in no particular order (a JWK). A repeated name is
// ErrDuplicate, returned with the members of an otherwise well-formed
// object, each repeated one set to nil (no value at all), so that a caller
// can still name what it refuses by an unambiguous member.
func MemberMap(data []byte) (map[string][]byte, error) {
	it := NewIter(data, 0)
	it.keepDups = true
	members := make(map[string][]byte)
	for key, value, ok := it.Next(); ok; key, value, ok = it.Next() {
		if _, dup := members[string(key)]; dup {
			value = nil
		}
		members[string(key)] = value
	}
	switch {
	case it.err != nil:
		return nil, it.err
	case it.dup:
		return members, ErrDuplicate
	}
	return members, nil
}
