package core

import (
	"errors"
	"strings"
)

// The error categories. Every error returned by [Validator.Verify] and
// [Authenticator.Authenticate] matches exactly one of them with [errors.Is],
// and [NewErrorResponse] maps each to its RFC 6750 answer.
var (
	// ErrMissingToken: the request carries no access token (401, no error code).
	ErrMissingToken = errors.New("identsphere: no access token in the request")
	// ErrInvalidRequest: the request is malformed (400 invalid_request).
	ErrInvalidRequest = errors.New("identsphere: invalid request")
	// ErrInvalidToken: the token failed a check (401 invalid_token).
	ErrInvalidToken = errors.New("identsphere: invalid token")
	// ErrInsufficientScope: the token lacks a required scope (403 insufficient_scope).
	ErrInsufficientScope = errors.New("identsphere: insufficient scope")
	// ErrForbidden: the token is valid but an application rule refused it (403 forbidden).
	ErrForbidden = errors.New("identsphere: forbidden")
	// ErrKeysUnavailable: no signing keys are loaded yet (the issuer could
	// not be reached, or its key set held no usable key), so no token can be
	// checked (503 temporarily_unavailable).
	ErrKeysUnavailable = errors.New("identsphere: signing keys unavailable")
	// ErrRevocationUnavailable: the revocation status of a token could not
	// be learned (a revocation store or introspection endpoint is down), so
	// it is refused: fail closed (503 temporarily_unavailable).
	ErrRevocationUnavailable = errors.New("identsphere: revocation status unavailable")
)

// RequestError reports a malformed request: several Authorization headers,
// a scheme other than Bearer, an empty token. It matches [ErrInvalidRequest].
type RequestError struct {
	// Description says what is wrong, in RFC 6750-safe characters.
	Description string
}

// Error implements error; it never contains any part of the token.
func (e *RequestError) Error() string { return "identsphere: invalid request: " + e.Description }

// Is makes errors.Is(err, ErrInvalidRequest) true.
func (e *RequestError) Is(target error) bool { return target == ErrInvalidRequest }

// TokenError reports a token that failed a check. It matches
// [ErrInvalidToken]; Check names the check (one of the token checks of
// [Check]: CheckExp, CheckAud, CheckSignature, ...). Match on Check, never
// on Description or Err.
type TokenError struct {
	// Check names the failed check.
	Check Check
	// Description is a fixed sentence that never contains any part of
	// the token; it is sent to the client.
	Description string
	// Err is the cause, where there is one (a revocation checker's own
	// error, say), for logs. What it wraps is not part of the contract.
	Err error

	// What was known of the token when it failed, for logs, never the
	// token itself: the configured issuer chosen to check it, its alg and
	// kid, and its subject once its signature had verified.
	Issuer, Alg, KID, Subject string
	// Expected and Found, for the iss and aud checks: what the
	// configuration accepts and what the token carries, so that a log says
	// "aud [billing-api] does not contain orders-api".
	Expected, Found []string

	// acceptedWith, for a token refused for its kind, is the setting
	// that would accept that kind ("Config.Profile=core.IDTokens"): for
	// the refusal log, never for the client.
	acceptedWith string
}

// Error implements error; it never contains any part of the token.
func (e *TokenError) Error() string {
	msg := "identsphere: invalid token: " + string(e.Check) + ": " + e.Description
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns Err.
func (e *TokenError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrInvalidToken) true.
func (e *TokenError) Is(target error) bool { return target == ErrInvalidToken }

// ScopeError reports a valid token that lacks a required scope. It matches
// [ErrInsufficientScope]; Required lists the scopes the route demands.
type ScopeError struct {
	Required []string
}

// Error implements error; it never contains any part of the token.
func (e *ScopeError) Error() string {
	return "identsphere: insufficient scope: requires " + strings.Join(e.Required, " ")
}

// Is makes errors.Is(err, ErrInsufficientScope) true.
func (e *ScopeError) Is(target error) bool { return target == ErrInsufficientScope }

// PolicyError reports a valid token refused by an application rule, such as
// [RequireVerifiedEmail] or the cross-origin check on cookie tokens. It
// matches [ErrForbidden] and nothing else. Rule names the rule; Description
// is sent to the client, so it must not hold secrets (unsafe characters are
// replaced); Err, if any, is the rule's own error, for logs only: it is not
// unwrapped, so whatever it wraps can never change the answer. Rule is one
// of the rule checks of [Check] (CheckEmailVerified, CheckCrossOrigin,
// CheckClaim, CheckCustom), or the name a rule of yours gives.
type PolicyError struct {
	Rule        Check
	Description string
	Err         error
}

// Error implements error; it never contains any part of the token.
func (e *PolicyError) Error() string {
	msg := "identsphere: forbidden: " + string(e.Rule) + ": " + e.Description
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is makes errors.Is(err, ErrForbidden) true.
func (e *PolicyError) Is(target error) bool { return target == ErrForbidden }

// tokenErr builds a TokenError; kept short because the parser calls it often.
func tokenErr(check Check, description string, err error) error {
	return &TokenError{Check: check, Description: description, Err: err}
}

// asTokenError finds the TokenError in err's chain, without the
// allocation of errors.As on the common paths (a TokenError as is, or
// wrapped with %w) and on success (nil, which every verified token
// passes through).
func asTokenError(err error) *TokenError {
	if err == nil {
		return nil
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if te, ok := e.(*TokenError); ok {
			return te
		}
	}
	var te *TokenError
	if errors.As(err, &te) { // a chain errors.Unwrap does not follow (errors.Join)
		return te
	}
	return nil
}
