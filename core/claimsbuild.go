package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"
)

// Errors of Claims.Decode on Claims that hold no claims JSON.
var (
	errDecodeNil = errors.New(
		"identsphere: Decode on nil Claims: there are no claims (was the request admitted by the middleware?)",
	)
	errDecodeLiteral = errors.New(
		"identsphere: Decode on Claims built as a struct literal, which hold no claims JSON: build them with " +
			"core.NewClaims (or authtest.NewClaims) to decode custom claims",
	)
)

// NewClaims returns the Claims that a verified token whose claims set is
// members would carry: the typed fields (Subject, Audience, ExpiresAt,
// Scopes...) and the claims JSON behind [Claims.Decode] and [CustomClaims]
// both come from the JSON encoding of members, read by the same strict
// decoder as a token's claims. It is for tests of handlers, which put the
// result in a request's context with [WithClaims] instead of minting a
// token:
//
//	c, err := core.NewClaims(map[string]any{"sub": "user-1", "roles": []string{"admin"}})
//	r = r.WithContext(core.WithClaims(r.Context(), c))
//
// Values are encoded with encoding/json, except time.Time, which becomes a
// NumericDate in whole seconds as in a token ("exp": time.Now().Add(time.Hour)).
// A registered claim of the wrong type ("exp" as a string, "aud" as a
// number) is an error, as it makes a token invalid; so is a value
// encoding/json cannot encode.
//
// NewClaims checks nothing else: no signature, issuer, audience, expiry or
// required subject, since no Validator is involved. Claims without "sub"
// or "exp" are claims no verified token would carry; give them when the
// handler reads them. AdmittedBy, which a Validator sets from its own
// Config rather than from the token, is left empty: set it on the result
// if the handler reads it.
func NewClaims(members map[string]any) (*Claims, error) {
	raw, err := claimsJSON(members)
	if err != nil {
		return nil, fmt.Errorf("identsphere: NewClaims: %w", err)
	}
	c, err := decodeClaims(raw)
	if err != nil {
		return nil, fmt.Errorf("identsphere: NewClaims: %w", err)
	}
	return c, nil
}

// claimsJSON encodes members as one JSON object, with time.Time values as
// NumericDates and without the HTML escaping of encoding/json's default
// (the JSON is what a handler decodes; "<" should stay "<").
func claimsJSON(members map[string]any) ([]byte, error) {
	m := maps.Clone(members)
	if m == nil {
		m = map[string]any{}
	}
	for name, v := range m {
		if t, ok := v.(time.Time); ok {
			m[name] = t.Unix()
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
