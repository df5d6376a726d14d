package core

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// DefaultRealm names the protection space in WWW-Authenticate.
const DefaultRealm = "identsphere"

// KeysRetryAfterSeconds is the Retry-After sent while signing keys are
// unavailable: the background loader waits at most this long between two
// attempts to load them.
const KeysRetryAfterSeconds = 5

// ErrorResponse is the HTTP answer to an authentication error, as RFC 6750
// section 3 defines it. Every adapter writes exactly this, so net/http, chi
// and gin answer alike.
type ErrorResponse struct {
	Status int
	// WWWAuthenticate is the challenge, or "" when the status has none
	// (403 forbidden, 503).
	WWWAuthenticate string
	// RetryAfter is the Retry-After value in seconds, or "".
	RetryAfter string
	// Code is the RFC 6750 error code ("" for a missing token).
	Code string
	// Description is a fixed, human-readable sentence in RFC 6750-safe
	// characters; it never contains any part of the token.
	Description string
	// Body is the JSON body: {"error": Code, "error_description": Description}.
	Body []byte
	// DPoPNonce is the DPoP-Nonce header (RFC 9449), or "".
	DPoPNonce string

	// authParams are the auth-params the challenge carries after its error
	// code (scope, acr_values and max_age, claims; resource_metadata), kept
	// apart so that a DPoP challenge built later carries them too.
	authParams string
}

type errorBody struct {
	Error       string `json:"error,omitempty"`
	Description string `json:"error_description"`
}

// NewErrorResponse maps err to its answer:
//
//	ErrMissingToken       401  Bearer realm="..."               (no error code)
//	ErrInvalidRequest     400  Bearer error="invalid_request"   invalid_request
//	ErrInvalidToken       401  Bearer error="invalid_token"     invalid_token
//	ErrInsufficientScope  403  Bearer error="insufficient_scope", scope="..."
//	ErrInsufficientUserAuthentication
//	                      401  Bearer error="insufficient_user_authentication", acr_values="...", max_age="..."
//	                      (or error="insufficient_claims", claims="..." for RequireEntraAuthContext)
//	ErrForbidden          403  (none)                           forbidden
//	ErrKeysUnavailable    503  (none) + Retry-After             temporarily_unavailable
//	ErrRevocationUnavailable  (likewise)
//	ErrInvalidDPoPProof   401  DPoP error="invalid_dpop_proof" (or use_dpop_nonce, with DPoP-Nonce)
//
// Any other error is answered as an invalid token: fail closed. The error
// description goes in the body; the challenge carries only the code (and
// scope), which is all RFC 6750 requires of it.
func NewErrorResponse(err error, realm string) ErrorResponse {
	var r ErrorResponse
	var te *TokenError
	var re *RequestError
	var se *ScopeError
	var pe *PolicyError
	var de *DPoPError
	var su *StepUpError
	// Rule failures first: a rule's refusal is final, whatever its
	// error wraps.
	switch {
	case errors.As(err, &de):
		r.Status, r.Code, r.Description, r.DPoPNonce = http.StatusUnauthorized, de.Code, de.Description, de.Nonce
		r.WWWAuthenticate = `DPoP error="` + de.Code + `"`
	case errors.As(err, &se):
		r.Status, r.Code, r.Description = http.StatusForbidden, "insufficient_scope", "the token lacks a required scope"
		r.authParams = `scope="` + scopeTokens(se.Required) + `"`
		r.WWWAuthenticate = `Bearer error="insufficient_scope", ` + r.authParams
	case errors.As(err, &su):
		r.Status, r.Code, r.Description = http.StatusUnauthorized, su.code(), su.Description
		r.authParams = su.challengeParams()
		r.WWWAuthenticate = `Bearer error="` + r.Code + `", ` + r.authParams
	case errors.As(err, &pe):
		r.Status, r.Code, r.Description = http.StatusForbidden, "forbidden", pe.Description
	case errors.Is(err, ErrMissingToken):
		r.Status, r.Description = http.StatusUnauthorized, "authentication is required"
		r.WWWAuthenticate = `Bearer realm="` + safeText(realm, true) + `"`
	case errors.As(err, &re):
		r.Status, r.Code, r.Description = http.StatusBadRequest, "invalid_request", re.Description
	case errors.Is(err, ErrKeysUnavailable):
		r.Status, r.Code = http.StatusServiceUnavailable, "temporarily_unavailable"
		r.Description = "the signing keys are not available yet; try again later"
		r.RetryAfter = strconv.Itoa(KeysRetryAfterSeconds)
	case errors.Is(err, ErrRevocationUnavailable):
		r.Status, r.Code = http.StatusServiceUnavailable, "temporarily_unavailable"
		r.Description = "the token's revocation status cannot be checked now; try again later"
		r.RetryAfter = strconv.Itoa(KeysRetryAfterSeconds)
	case errors.As(err, &te):
		r.Status, r.Code, r.Description = http.StatusUnauthorized, "invalid_token", te.Description
	default:
		r.Status, r.Code, r.Description = http.StatusUnauthorized, "invalid_token", "the token is invalid"
	}
	if strings.TrimSpace(r.Description) == "" {
		r.Description = http.StatusText(r.Status)
	}
	if r.WWWAuthenticate == "" && (r.Code == "invalid_request" || r.Code == "invalid_token") {
		r.WWWAuthenticate = `Bearer error="` + r.Code + `"`
	}
	r.Description = safeText(r.Description, false)
	r.Body, _ = json.Marshal(errorBody{Error: r.Code, Description: r.Description})
	return r
}

// addAuthParam appends an auth-param (such as resource_metadata="...") to
// the challenge, and to those a DPoP challenge built later carries.
func (r *ErrorResponse) addAuthParam(param string) {
	if r.WWWAuthenticate != "" {
		r.WWWAuthenticate += ", " + param
	}
	if r.authParams != "" {
		r.authParams += ", "
	}
	r.authParams += param
}

// Write sends the response.
func (r ErrorResponse) Write(w http.ResponseWriter) {
	h := w.Header()
	if r.WWWAuthenticate != "" {
		h.Set("WWW-Authenticate", r.WWWAuthenticate)
	}
	if r.RetryAfter != "" {
		h.Set("Retry-After", r.RetryAfter)
	}
	if r.DPoPNonce != "" {
		h.Set("DPoP-Nonce", r.DPoPNonce)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(r.Status)
	_, _ = w.Write(r.Body)
}

// safeText keeps the characters RFC 6750 allows in error_description
// (%x20-21 / %x23-5B / %x5D-7E) and replaces the rest, so that nothing from
// a request can break a header or a quoted string.
func safeText(s string, quotedValue bool) string {
	return strings.Map(func(r rune) rune {
		if r == 0x20 || r == 0x21 || 0x23 <= r && r <= 0x5B || 0x5D <= r && r <= 0x7E {
			return r
		}
		if quotedValue {
			return -1
		}
		return '?'
	}, s)
}

// scopeTokens renders scopes as RFC 6750 scope-tokens separated by spaces.
func scopeTokens(scopes []string) string {
	var b strings.Builder
	for _, s := range scopes {
		s = strings.Map(func(r rune) rune {
			if r == 0x21 || 0x23 <= r && r <= 0x5B || 0x5D <= r && r <= 0x7E {
				return r
			}
			return -1
		}, s)
		if s == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}
