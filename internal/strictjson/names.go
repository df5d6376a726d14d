package strictjson

import (
	"bytes"
	"encoding/binary"
)

// maxInlineKeys is how many distinct names a nameSet tracks without
// allocating; past it, a map takes over.
const maxInlineKeys = 32

// nameSet records the member names of one object, to find a repeated one.
// The first maxInlineKeys names are compared one by one, each by its
// fingerprint first (one integer comparison for two different names, in
// the common case); past them a map takes over, so that the cost stays
// linear however many members there are.
type nameSet struct {
	prints [maxInlineKeys]uint64
	spans  [maxInlineKeys]span
	n      int
	copies *copies             // the unescaped copies of escaped names
	more   map[string]struct{} // every name, once there are more
}

// copies holds unescaped names end to end. It lives on the heap apart
// from the nameSet, so that keeping copies does not make the input escape
// too (escape analysis does not tell one field of the iterator from
// another).
type copies struct{ buf []byte }

// span locates a name: in the input, or (both ends complemented, so
// negative) in the unescaped copies.
type span struct{ start, end int }

// copyUnescaped appends the unescaped content of an escaped name to the
// copies and returns it, with where it is kept.
func (ns *nameSet) copyUnescaped(content []byte) ([]byte, span) {
	if ns.copies == nil {
		// Room for the names of a header, or for this one.
		ns.copies = &copies{buf: make([]byte, 0, max(64, len(content)))}
	}
	c := ns.copies
	start := len(c.buf)
	c.buf = unescape(c.buf, content)
	end := len(c.buf)
	return c.buf[start:end:end], span{^start, ^end}
}

// add records name, found at sp in data (or in the copies), and reports
// whether it was there before.
func (ns *nameSet) add(data, name []byte, sp span) bool {
	if ns.more == nil {
		fp := fingerprint(name)
		for i, p := range ns.prints[:ns.n] {
			if p == fp && bytes.Equal(ns.at(data, ns.spans[i]), name) {
				return true
			}
		}
		if ns.n < maxInlineKeys {
			ns.prints[ns.n], ns.spans[ns.n] = fp, sp
			ns.n++
			return false
		}
		ns.more = make(map[string]struct{}, 2*maxInlineKeys)
		for _, o := range ns.spans[:ns.n] {
			ns.more[string(ns.at(data, o))] = struct{}{}
		}
	}
	if _, dup := ns.more[string(name)]; dup {
		return true
	}
	ns.more[string(name)] = struct{}{}
	return false
}

// at returns a name recorded by add.
func (ns *nameSet) at(data []byte, o span) []byte {
	if o.start < 0 {
		return ns.copies.buf[^o.start:^o.end]
	}
	return data[o.start:o.end]
}

// fingerprint sums a name up in one word; equal names have equal
// fingerprints. A name of up to 7 bytes is its own fingerprint (its bytes
// and its length); a longer one mixes its length, first 8 and last 8
// bytes, so names that differ only in their middle are told apart by
// bytes.Equal, no slower than without fingerprints.
func fingerprint(name []byte) uint64 {
	n := len(name)
	if n >= 8 {
		first, last := binary.LittleEndian.Uint64(name), binary.LittleEndian.Uint64(name[n-8:])
		return uint64(n)<<56 ^ first ^ (last<<29 | last>>35)
	}
	p := uint64(n) << 56
	for i, c := range name {
		p |= uint64(c) << (8 * i)
	}
	return p
}
