package authproxy

import "strings"

// forwardedElement is what the proxy reads of one Forwarded element.
type forwardedElement struct {
	node  string // for=
	proto string // proto=, or ""
}

// parseForwarded parses Forwarded header values (RFC 7239 section 4) into
// their elements, left to right, in one pass. Parameters other than for
// and proto are checked for syntax and ignored. Any syntax error, a
// repeated parameter, or an element without for= is an error: the header
// cannot be read with confidence.
func parseForwarded(values []string) ([]forwardedElement, error) {
	var out []forwardedElement
	for _, v := range values {
		var el forwardedElement
		hasFor, hasProto, empty := false, false, true
		// flush ends the current element; an empty one is skipped, as
		// the list syntax allows (RFC 9110 section 5.6.1).
		flush := func() error {
			if !empty {
				if !hasFor {
					return errForwarding
				}
				out = append(out, el)
			}
			el, hasFor, hasProto, empty = forwardedElement{}, false, false, true
			return nil
		}
		for i := 0; ; {
			i = skipOWS(v, i)
			if i == len(v) {
				if err := flush(); err != nil {
					return nil, err
				}
				break
			}
			switch v[i] {
			case ',':
				if err := flush(); err != nil {
					return nil, err
				}
				i++
				continue
			case ';':
				i++
				continue
			}
			j := tokenEnd(v, i)
			if j == i || j == len(v) || v[j] != '=' {
				return nil, errForwarding
			}
			name := v[i:j]
			var value string
			var ok bool
			if value, i, ok = forwardedValue(v, j+1); !ok {
				return nil, errForwarding
			}
			switch {
			case strings.EqualFold(name, "for"):
				if hasFor {
					return nil, errForwarding
				}
				el.node, hasFor = value, true
			case strings.EqualFold(name, "proto"):
				if hasProto {
					return nil, errForwarding
				}
				el.proto, hasProto = value, true
			}
			empty = false
			i = skipOWS(v, i)
			if i < len(v) && v[i] != ';' && v[i] != ',' {
				return nil, errForwarding
			}
		}
	}
	return out, nil
}

// forwardedValue reads a token or quoted-string starting at v[i] and
// returns it unquoted with the index after it.
func forwardedValue(v string, i int) (string, int, bool) {
	if i < len(v) && v[i] == '"' {
		var b strings.Builder
		for i++; i < len(v); i++ {
			switch c := v[i]; {
			case c == '"':
				return b.String(), i + 1, true
			case c == '\\' && i+1 < len(v):
				i++
				b.WriteByte(v[i])
			case c == '\t' || c >= ' ' && c != 0x7f:
				b.WriteByte(c)
			default:
				return "", 0, false
			}
		}
		return "", 0, false // unterminated
	}
	j := tokenEnd(v, i)
	if j == i {
		return "", 0, false
	}
	return v[i:j], j, true
}

// tokenEnd returns the index after the RFC 9110 token starting at v[i].
func tokenEnd(v string, i int) int {
	for i < len(v) && validHeaderName(v[i:i+1]) {
		i++
	}
	return i
}

// skipOWS returns the index of the first byte at or after i that is not a
// space or tab.
func skipOWS(v string, i int) int {
	for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	return i
}
