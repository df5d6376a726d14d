package core

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/identsphere/identsphere-go/internal/jose"
	"github.com/identsphere/identsphere-go/internal/strictjson"
)

// Claims are the checked claims of an access token.
//
// The registered claims are typed; everything else stays available through
// [Claims.Decode]. Claims are read from the token byte for byte: "ISS" is not
// "iss", and a token with a duplicated claim is refused.
//
// Every request (and every call of Verify) gets its own Claims, so setting
// a field affects no other request. The slices and EmailVerified are shared
// with other requests of the same token: replace them, never write through
// them.
type Claims struct {
	Issuer    string    // iss
	Subject   string    // sub, never empty in a verified token
	Audience  []string  // aud, always as a list
	ExpiresAt time.Time // exp, always set in a verified token
	NotBefore time.Time // nbf, zero when absent
	IssuedAt  time.Time // iat, zero when absent
	ID        string    // jti
	SessionID string    // sid (OpenID Connect session), "" when absent
	ClientID  string    // client_id (RFC 9068), "" when absent
	// AuthorizedParty is azp (OpenID Connect): the client the token was
	// issued to, "" when absent.
	AuthorizedParty string
	// Confirmation is the cnf claim: the key or certificate a
	// sender-constrained token is bound to; zero for a bearer token.
	Confirmation Confirmation
	// AdmittedBy is the Config.Issuer of the issuer that admitted the
	// token: with several issuers (NewMulti), which one; it differs from
	// Issuer for an issuer alias.
	AdmittedBy string

	Email string // email
	// EmailVerified is the email_verified claim: nil when it is absent or not
	// a JSON boolean, so "true" (a string) never counts as verified.
	EmailVerified *bool
	Org           string   // org
	Scopes        []string // scope (space-separated string) and scp (array or string), merged

	// ACR is the acr claim: the authentication context class the login
	// met (such as "mfa"), "" when absent or not a string. See RequireStepUp.
	ACR string
	// AMR is the amr claim: the authentication methods used (such as
	// ["pwd", "otp"]), nil when absent or not an array of strings.
	AMR []string
	// AuthTime is the auth_time claim: when the user logged in, zero when
	// absent or not a number. See RequireStepUp.
	AuthTime time.Time

	acrs []string // Microsoft Entra's acrs: see RequireEntraAuthContext

	raw     []byte // the claims JSON, for Decode
	idToken bool   // carries at_hash or c_hash, which only ID tokens have
	// securityEvent: carries events, the claim of a Security Event Token
	// (RFC 8417), such as a back-channel logout token.
	securityEvent bool
}

// HasScope reports whether the token grants scope, matched as a whole word:
// "read" does not match "read:all".
func (c *Claims) HasScope(scope string) bool {
	return c != nil && slices.Contains(c.Scopes, scope)
}

// Decode unmarshals the token's claims JSON into v, for custom claims:
//
//	var extra struct{ Roles []string `json:"roles"` }
//	err := claims.Decode(&extra)
//
// It uses encoding/json, which matches keys case-insensitively; the typed
// fields of Claims do not.
//
// Only Claims that came from a token (the middleware, Verify) or from
// [NewClaims] hold claims JSON. On nil Claims, or on a Claims struct
// literal (such as one a test put in a context with [WithClaims]), Decode
// returns an error that says so, rather than panicking or decoding nothing.
func (c *Claims) Decode(v any) error {
	switch {
	case c == nil:
		return errDecodeNil
	case c.raw == nil:
		return errDecodeLiteral
	}
	return json.Unmarshal(c.raw, v)
}

// CustomClaims decodes the token's claims JSON into a new T. It is
// [Claims.Decode] for callers who prefer a value, and fails as Decode does
// on nil Claims or a struct literal.
func CustomClaims[T any](c *Claims) (T, error) {
	var v T
	err := c.Decode(&v)
	return v, err
}

// decodeClaims reads the claims JSON of a token whose signature is already
// verified. Registered claims of the wrong type make the token invalid;
// profile claims of the wrong type (email, org, email_verified, scopes) are
// left empty, so rules that need them fail closed.
func decodeClaims(payload []byte) (*Claims, error) {
	c := &Claims{raw: payload}
	text := claimText{json: payload}
	var bad Check // the registered claim of the wrong type: each is a Check
	err := strictjson.Members(payload, func(key, value []byte) error {
		var ok = true
		switch string(key) {
		case "iss":
			c.Issuer, ok = text.str(value)
		case "sub":
			c.Subject, ok = text.str(value)
		case "jti":
			c.ID, ok = text.str(value)
		case "sid":
			c.SessionID, _ = text.str(value)
		case "client_id":
			c.ClientID, ok = text.str(value)
		case "azp":
			c.AuthorizedParty, ok = text.str(value)
		case "cnf":
			c.Confirmation, ok = decodeConfirmation(value)
		case "at_hash", "c_hash":
			c.idToken = true
		case "events":
			c.securityEvent = true
		case "aud":
			c.Audience, ok = text.audience(value)
		case "exp":
			c.ExpiresAt, ok = jose.NumericDate(value)
		case "nbf":
			c.NotBefore, ok = jose.NumericDate(value)
		case "iat":
			c.IssuedAt, ok = jose.NumericDate(value)
		case "email":
			c.Email, _ = text.str(value)
		case "org":
			c.Org, _ = text.str(value)
		case "email_verified":
			if b := string(value); b == "true" || b == "false" {
				v := b == "true"
				c.EmailVerified = &v
			}
		case "scope", "scp":
			c.Scopes = text.appendScopes(c.Scopes, value)
		case "acr":
			c.ACR, _ = text.str(value)
		case "amr":
			c.AMR = text.stringsOrNil(value)
		case "acrs":
			c.acrs = text.stringsOrNil(value)
		case "auth_time":
			c.AuthTime, _ = jose.NumericDate(value)
		}
		if !ok {
			bad = Check(key)
			return strictjson.ErrMalformed
		}
		return nil
	})
	if err != nil {
		if bad != "" {
			return nil, tokenErr(bad, "the "+string(bad)+" claim has the wrong type or range", nil)
		}
		return nil, tokenErr(CheckClaims, "the token claims are not a valid JSON object", nil)
	}
	// Every request gets its own copy of Claims, but the copies share these
	// arrays with the verified-token cache. Without spare capacity, an
	// append to one copy's slice reallocates instead of writing into them.
	c.Audience = slices.Clip(c.Audience)
	c.Scopes = slices.Clip(c.Scopes)
	c.AMR = slices.Clip(c.AMR)
	return c, nil
}

func jsonAudience(raw []byte) ([]string, bool) {
	if s, ok := strictjson.String(raw); ok {
		return []string{s}, true
	}
	return strictjson.Strings(raw)
}

// audience reads an aud claim, a string or an array of strings, as
// jsonAudience does.
func (t *claimText) audience(raw []byte) ([]string, bool) {
	if s, ok := t.str(raw); ok {
		return []string{s}, true
	}
	return t.strs(raw)
}

// stringsOrNil reads an array of strings, or nil for any other value: a
// profile claim of the wrong shape is absent, never half read.
func (t *claimText) stringsOrNil(raw []byte) []string {
	list, ok := t.strs(raw)
	if !ok {
		return nil
	}
	return list
}

// appendScopes adds the scopes of a scope or scp claim: a space-separated
// string or an array of strings. Any other shape adds nothing.
func (t *claimText) appendScopes(scopes []string, raw []byte) []string {
	if s, ok := t.str(raw); ok {
		if scopes == nil && strings.TrimLeft(s, " ") != "" { // one allocation for all the words
			scopes = make([]string, 0, strings.Count(s, " ")+1)
		}
		for word := range strings.SplitSeq(s, " ") {
			if word != "" && !slices.Contains(scopes, word) {
				scopes = append(scopes, word)
			}
		}
		return scopes
	}
	list, _ := t.strs(raw)
	for _, word := range list {
		if word != "" && !strings.Contains(word, " ") && !slices.Contains(scopes, word) {
			scopes = append(scopes, word)
		}
	}
	return scopes
}
