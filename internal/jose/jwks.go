package jose

import (
	"crypto"
	"errors"
	"fmt"
	"slices"

	"github.com/MicahParks/jwkset"
	"github.com/identsphere/identsphere-go/internal/strictjson"
)

// maxJWKSKeys caps the keys of one JWKS. Issuers publish a handful; a set
// of hundreds is a misconfiguration or an attack on the parser.
const maxJWKSKeys = 100

// Key is one key of a JWKS, as read: usable, or refused with a reason.
// A caller keeps refused keys under their kid, so that a token naming one
// is refused at once (and says why) instead of triggering a refresh.
type Key struct {
	KID    string
	Alg    string     // the JWK's alg, "" when the JWK names none
	Public any        // *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey; nil if refused unparsed
	Reject string     // why the key may never verify anything, or "": a fixed phrase, safe to show to clients
	Detail string     // more about Reject, for the log only
	JWK    jwkset.JWK // the parsed key; meaningful only when Reject == ""
}

// Reason is what the log says about a refused key.
func (k *Key) Reason() string {
	if k.Detail == "" {
		return k.Reject
	}
	return k.Reject + ": " + k.Detail
}

// fitsAny reports whether a usable key fits some algorithm.
func (k *Key) fitsAny() bool {
	for alg := range algorithms {
		if k.Reject == "" && Fits(alg, k.Alg, k.Public) {
			return true
		}
	}
	return false
}

// ParseJWKS reads a JWKS key by key. Only a body that is not one strict
// JSON object (internal/strictjson: valid UTF-8 throughout, no member named
// twice, bounded nesting) with a "keys" array, or that holds more than
// maxJWKSKeys keys, is an error: a key that cannot be used is refused on
// its own, with its reason, and never costs the set its other keys. The cost is linear in len(body):
// the strict reader and Go maps, each byte read a bounded number of times.
func ParseJWKS(body []byte) ([]Key, error) {
	members, err := strictjson.MemberMap(body)
	if err != nil {
		return nil, fmt.Errorf("the JWKS is not one well-formed JSON object: %w", err)
	}
	rawKeys, ok := members["keys"]
	if !ok {
		return nil, errors.New(`the JWKS has no "keys" member`)
	}
	var keys [][]byte
	if strictjson.Array(rawKeys, func(k []byte) error { keys = append(keys, k); return nil }) != nil {
		return nil, errors.New(`the JWKS's "keys" member is not an array`)
	}
	if len(keys) > maxJWKSKeys {
		return nil, fmt.Errorf("the JWKS holds %d keys, more than the %d accepted", len(keys), maxJWKSKeys)
	}
	out := make([]Key, len(keys))
	var checks KeyChecks
	for i, raw := range keys {
		out[i] = ParseJWK(raw, &checks)
	}
	return out, nil
}

// ParseJWK reads one JWK strictly: member names byte for byte (encoding/json
// alone would let "KTY" or "Use" stand in for kty or use), no duplicate
// members, every member read of the type RFC 7517 gives it. Unknown members
// are ignored, as RFC 7517 section 4 requires, and so is private key
// material: only the public key is ever built. jwkset then builds and
// validates the key (curve membership, x5c against the key, thumbprints).
func ParseJWK(raw []byte, checks *KeyChecks) Key {
	var k Key
	members, err := strictjson.MemberMap(raw)
	if errors.Is(err, strictjson.ErrDuplicate) {
		// Refused, but under its kid when that is unambiguous, so that a
		// token naming it is answered at once.
		k.KID, _ = strictjson.String(members["kid"])
		k.Reject, k.Detail = "the key is malformed", err.Error()
		return k
	}
	if err != nil {
		k.Reject, k.Detail = "the key is not a well-formed JSON object", err.Error()
		return k
	}
	var m jwkset.JWKMarshal
	var kty, use, alg string
	strs := []struct {
		name string
		dst  *string
	}{
		{"kid", &m.KID}, {"kty", &kty}, {"use", &use}, {"alg", &alg}, {"crv", (*string)(&m.CRV)},
		{"x", &m.X}, {"y", &m.Y}, {"n", &m.N}, {"e", &m.E},
		{"x5u", &m.X5U}, {"x5t", &m.X5T}, {"x5t#S256", &m.X5TS256},
	}
	for _, s := range strs {
		v, present := members[s.name]
		if !present {
			continue
		}
		var ok bool
		if *s.dst, ok = strictjson.String(v); !ok {
			k.KID = m.KID
			k.Reject, k.Detail = "the key is malformed", fmt.Sprintf("%q is not a string", s.name)
			return k
		}
	}
	m.KTY, m.USE, m.ALG = jwkset.KTY(kty), jwkset.USE(use), jwkset.ALG(alg)
	k.KID, k.Alg = m.KID, alg
	if v, present := members["x5c"]; present {
		var ok bool
		if m.X5C, ok = strictjson.Strings(v); !ok {
			k.Reject, k.Detail = "the key is malformed", `"x5c" is not an array of strings`
			return k
		}
	}
	if v, ok := members["key_ops"]; ok {
		ops, ok := strictjson.Strings(v)
		if !ok {
			k.Reject, k.Detail = "the key is malformed", `"key_ops" is not an array of strings`
			return k
		}
		m.KEYOPS = make([]jwkset.KEYOPS, len(ops)) // present and empty is not absent
		for i, op := range ops {
			m.KEYOPS[i] = jwkset.KEYOPS(op)
		}
	}
	if k.Reject, k.Detail = judgeMetadata(m); k.Reject != "" {
		return k
	}
	// The public key only: JWKMarshalOptions.Private is false, so d, p, q
	// and k are never read. x5u is never fetched (no GetX5U). use and
	// key_ops were judged above, by this library's rules.
	j, err := jwkset.NewJWKFromMarshal(
		m,
		jwkset.JWKMarshalOptions{},
		jwkset.JWKValidateOptions{SkipUse: true, SkipKeyOps: true},
	)
	if err != nil {
		k.Reject, k.Detail = "the key could not be parsed", err.Error()
		return k
	}
	return KeyFromJWK(j, checks)
}

// KeyFromJWK judges a key jwkset has built: from ParseJWK, or handed to a
// caller's key store by other code.
func KeyFromJWK(j jwkset.JWK, checks *KeyChecks) Key {
	m := j.Marshal()
	k := Key{KID: m.KID, Alg: m.ALG.String(), Public: j.Key(), JWK: j}
	if pk, ok := k.Public.(interface{ Public() crypto.PublicKey }); ok {
		k.Public = pk.Public() // a JWKS that leaks private parts still only verifies
	}
	if k.Reject, k.Detail = judgeMetadata(m); k.Reject != "" {
		k.Public = nil
		return k
	}
	if _, symmetric := k.Public.([]byte); symmetric {
		k.Reject, k.Public = "a symmetric key from a JWKS can never verify a token", nil
		return k
	}
	if k.Reject = checks.Check(k.Public); k.Reject != "" {
		return k
	}
	if !k.fitsAny() {
		k.Reject, k.Detail = "no supported algorithm fits the key", fmt.Sprintf("kty %q, alg %q", m.KTY, m.ALG)
	}
	return k
}

// judgeMetadata applies what RFC 7517 says a key's metadata permits: a key
// whose use (section 4.2) is not "sig", or whose key_ops (section 4.3) do not
// include "verify", must not verify signatures. Values outside the IANA
// registry are allowed by the RFC: "verify" among them still permits.
func judgeMetadata(m jwkset.JWKMarshal) (reject, detail string) {
	switch {
	case m.KTY == jwkset.KtyOct:
		return "a symmetric key from a JWKS can never verify a token", ""
	case m.USE != "" && m.USE != jwkset.UseSig:
		return "the key is not for signatures", fmt.Sprintf("use is %q", m.USE)
	case m.KEYOPS == nil:
		return "", ""
	case !slices.Contains(m.KEYOPS, jwkset.KeyOpsVerify):
		return `the key's key_ops do not include "verify"`, fmt.Sprintf("key_ops is %q", m.KEYOPS)
	}
	seen := make(map[jwkset.KEYOPS]bool, len(m.KEYOPS))
	for _, op := range m.KEYOPS {
		if seen[op] {
			return "the key is malformed", "key_ops repeats a value"
		}
		seen[op] = true
	}
	return "", ""
}
