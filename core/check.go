package core

import "errors"

// Check names a check that refused a request: the Check of a [TokenError],
// the Rule of a [PolicyError], [Decision.Check], what [CheckOf] returns, the
// "check" attribute of the refusal log and the check label of otelauth's
// metrics. The constants below are every name this library gives; a rule of
// your own may return a PolicyError with a Rule of its own (keep it a fixed
// word: it becomes a metric label). The set never depends on a token, so a
// Check is safe as a metric label.
//
// The README's "Check names" table is this list (a test keeps them equal).
// Match on these constants, never on an error's text.
type Check string

// Checks of the token itself: a [TokenError], answered 401 invalid_token.
const (
	CheckSize          Check = "size"           // the token is longer than the size cap
	CheckFormat        Check = "format"         // not a compact JWS (three base64url parts); a JWE is refused here
	CheckHeader        Check = "header"         // the JOSE header is unreadable, too large, or has a refused member
	CheckAlg           Check = "alg"            // the algorithm is not allowed (none, HS*, not in Config.Algorithms)
	CheckKID           Check = "kid"            // the kid names no published key, or without a kid not one key fits
	CheckKey           Check = "key"            // the key the kid names is refused, or does not fit the algorithm
	CheckSignature     Check = "signature"      // the signature does not verify with the key
	CheckClaims        Check = "claims"         // the claims are not one valid JSON object
	CheckTyp           Check = "typ"            // the token's kind is not the one the profile takes (Config.Profile)
	CheckExp           Check = "exp"            // the token has no exp, or it has expired (beyond the leeway)
	CheckNbf           Check = "nbf"            // the token is not valid yet (nbf beyond the leeway)
	CheckIat           Check = "iat"            // iat is in the future, missing where required, or too old
	CheckIss           Check = "iss"            // the issuer is not the configured one (or is of the wrong type)
	CheckAud           Check = "aud"            // the audience holds none of the configured ones
	CheckAzp           Check = "azp"            // an ID token's authorized party is missing or not trusted
	CheckSub           Check = "sub"            // the token has no subject (a logout token: no sub nor sid)
	CheckSID           Check = "sid"            // a logout token's sid is not a string
	CheckJTI           Check = "jti"            // the token has no jti where one is required (RFC 9068, logout)
	CheckClientID      Check = "client_id"      // the token has no client_id where one is required (RFC 9068)
	CheckCnf           Check = "cnf"            // a certificate-bound token without the certificate it names
	CheckDPoP          Check = "dpop"           // a DPoP-bound token without DPoP, or DPoP with an unbound token
	CheckNonce         Check = "nonce"          // a logout token carries a nonce
	CheckEvents        Check = "events"         // a logout token's events claim has no back-channel logout event
	CheckRequiredClaim Check = "required_claim" // a claim of Config.RequiredClaims is missing or has another value
	CheckTenant        Check = "tenant"         // the token's tenant claim does not match its issuer's tenant
	CheckRevoked       Check = "revoked"        // the revocation checker says the token is revoked
	CheckActive        Check = "active"         // introspection (RFC 7662) says the token is not active
)

// Checks of the request, of the DPoP proof and of rules, and what could not
// be checked.
const (
	CheckMissing               Check = "missing"                // no token in the request: 401, no error code
	CheckRequest               Check = "request"                // a malformed request: 400 invalid_request
	CheckDPoPProof             Check = "dpop_proof"             // the DPoP proof is invalid: 401 invalid_dpop_proof
	CheckDPoPNonce             Check = "use_dpop_nonce"         // the proof lacks the server nonce: 401 use_dpop_nonce
	CheckScope                 Check = "scope"                  // a required scope is missing: 403 insufficient_scope
	CheckCrossOrigin           Check = "cross_origin"           // a cookie token, cross-origin, unsafe: 403 forbidden
	CheckEmailVerified         Check = "email_verified"         // RequireVerifiedEmail refused it: 403 forbidden
	CheckClaim                 Check = "claim"                  // RequireClaim refused the token: 403 forbidden
	CheckCustom                Check = "custom"                 // a Rule refused it with its own error: 403 forbidden
	CheckProcedure             Check = "procedure"              // a procedure ProcedureRules does not list: 403
	CheckACR                   Check = "acr"                    // RequireStepUp: acr missing or not accepted: 401
	CheckAuthTime              Check = "auth_time"              // RequireStepUp: auth_time missing or too old: 401
	CheckACRS                  Check = "acrs"                   // RequireEntraAuthContext: acrs lacks it: 401
	CheckForbidden             Check = "forbidden"              // ErrForbidden, no PolicyError names the rule: 403
	CheckKeysUnavailable       Check = "keys_unavailable"       // no signing keys loaded yet: 503
	CheckRevocationUnavailable Check = "revocation_unavailable" // the revocation status is unknown: 503
	CheckError                 Check = "error"                  // an error this library did not make
)

// revocationCheck reports whether a refusal by check came from the
// revocation check itself.
func revocationCheck(check Check) bool {
	return check == CheckRevoked || check == CheckRevocationUnavailable
}

// CheckOf names the check an error from this library failed, for logs and
// metrics: a TokenError's Check, a PolicyError's Rule, a StepUpError's
// Check, or the [Check] of the other errors (CheckMissing, CheckRequest,
// CheckScope, CheckDPoPProof, CheckDPoPNonce, CheckKeysUnavailable,
// CheckRevocationUnavailable); "" for nil, [CheckError] for an error this
// library did not make.
func CheckOf(err error) Check {
	if err == nil {
		return ""
	}
	if te := asTokenError(err); te != nil {
		return te.Check
	}
	if de := (*DPoPError)(nil); errors.As(err, &de) {
		if de.Code == "use_dpop_nonce" {
			return CheckDPoPNonce
		}
		return CheckDPoPProof
	}
	if su := (*StepUpError)(nil); errors.As(err, &su) {
		return su.Check
	}
	switch {
	case errors.Is(err, ErrMissingToken):
		return CheckMissing
	case errors.Is(err, ErrInvalidRequest):
		return CheckRequest
	case errors.Is(err, ErrInsufficientScope):
		return CheckScope
	case errors.Is(err, ErrForbidden):
		var pe *PolicyError // declared here: errors.As makes it escape
		if errors.As(err, &pe) {
			return pe.Rule
		}
		return CheckForbidden
	case errors.Is(err, ErrKeysUnavailable):
		return CheckKeysUnavailable
	case errors.Is(err, ErrRevocationUnavailable):
		return CheckRevocationUnavailable
	}
	return CheckError
}
