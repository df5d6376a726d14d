package authcases

import (
	"strings"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// Hostile is a token built to be as expensive as possible to refuse.
type Hostile struct {
	Name  string
	Token string
	// Forged tokens have a header that passes, naming a published key:
	// refusing them takes one signature check, as every token does. The
	// others are refused before any signature check.
	Forged bool
}

// MaxHeaderSegment mirrors core's cap on the encoded JOSE header, so that
// the hostile headers below are as large as core reads.
const MaxHeaderSegment = 2 << 10

// HostileTokens returns the costliest tokens of exactly
// core.DefaultMaxTokenSize bytes that we know how to build: JOSE headers as
// large as core reads with thousands of members, escaped names, deep
// nesting, long strings and whitespace, each refused only at its last byte;
// headers over the cap; opaque dots; and forged tokens whose large payload
// sits behind a header that passes. BenchmarkRefuseHostile measures what
// refusing them costs and the catalogue checks the answer.
func HostileTokens() []Hostile {
	const size = core.DefaultMaxTokenSize
	sig := b64url(strings.Repeat("s", 256))
	// header builds a header of at most MaxHeaderSegment encoded bytes by
	// repeating unit between prefix and suffix, and a payload that brings
	// the token to size.
	header := func(prefix, unit, suffix string) string {
		budget := MaxHeaderSegment*3/4 - len(prefix) - len(suffix)
		if unit != "" {
			prefix += strings.Repeat(unit, budget/len(unit))
		}
		h := b64url(prefix + suffix)
		return h + "." + strings.Repeat("A", size-len(h)-len(sig)-2) + "." + sig
	}
	// payload builds a token of size bytes around header h.
	payload := func(h, last string) string {
		n := size - len(b64url(h)) - len(sig) - 2 - len(last)
		return b64url(h) + "." + strings.Repeat("A", n) + last + "." + sig
	}
	var members strings.Builder
	for i := 0; members.Len() < MaxHeaderSegment*3/4-64; i++ {
		members.WriteString(`,"` + shortName(i) + `":0`)
	}
	const crit = `,"crit":["exp"]}` // refused, but only once the whole header is read
	return []Hostile{
		{Name: "header with thousands of short members", Token: header(`{"alg":"RS256"`, "", members.String()+"}")},
		{
			Name:  "header with thousands of escaped duplicate members",
			Token: header(`{"alg":"RS256"`, `,"\u0061":0`, "}"),
		},
		{Name: "header with one long string", Token: header(`{"alg":"RS256","x":"`, "a", `"`+crit)},
		{Name: "header with one long escaped string", Token: header(`{"alg":"RS256","x":"`, `\u0061`, `"`+crit)},
		{Name: "header of whitespace", Token: header(`{"alg":"RS256"`, " ", crit)},
		{Name: "header with a long array", Token: header(`{"alg":"RS256","x":[0`, ",0", "]"+crit)},
		{
			Name:  "header nested as deep as allowed, repeatedly",
			Token: header(`{"alg":"RS256","x":[`, strings.Repeat("[", 30)+strings.Repeat("]", 30)+",", "0]"+crit),
		},
		{Name: "header with a long number", Token: header(`{"alg":"RS256","x":1`, "0", crit)},
		{
			Name:  "header over the cap",
			Token: payload(`{"alg":"RS256","x":"`+strings.Repeat("a", MaxHeaderSegment)+`"}`, ""),
		},
		{Name: "unknown kid, large payload", Token: payload(`{"alg":"RS256","kid":"no-such-kid"}`, "")},
		{Name: "disallowed alg, large payload", Token: payload(`{"alg":"HS256","kid":"`+testkeys.KIDRSA+`"}`, "")},
		{Name: "dots", Token: strings.Repeat(".", size)},
		{Name: "four dots", Token: payload(`{"alg":"RS256"}`, "...")},
		{Name: "forged, payload bad at its end", Token: payload(rsHeader, "~"), Forged: true},
		{Name: "forged, large payload", Token: payload(rsHeader, ""), Forged: true},
	}
}

// shortName returns a distinct one- or two-character member name for i.
func shortName(i int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	if i < len(alphabet) {
		return alphabet[i : i+1]
	}
	i -= len(alphabet)
	return string([]byte{alphabet[i/len(alphabet)%len(alphabet)], alphabet[i%len(alphabet)]})
}
