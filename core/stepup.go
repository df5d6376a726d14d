package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// ErrInsufficientUserAuthentication: the token is valid, but the login
// behind it is not strong enough or not recent enough for this route (401
// insufficient_user_authentication, RFC 9470; or Microsoft Entra ID's 401
// insufficient_claims). The client sends the user back to the issuer with
// the challenge's acr_values and max_age (or claims), then retries with the
// new token.
var ErrInsufficientUserAuthentication = errors.New("identsphere: insufficient user authentication")

// StepUp is what a route demands of the login behind a token (RFC 9470):
// how it was made (acr) and how long ago (auth_time). A token without the
// claim a rule needs is refused: fail closed.
type StepUp struct {
	// ACR lists the accepted authentication context class references: the
	// token's acr must be one of them. Empty: acr is not checked. The
	// challenge's acr_values lists them, in this order (the order of
	// preference RFC 9470 asks for).
	ACR []string

	// Levels, when set, ranks acr values from weakest to strongest, so that
	// "mfa or stronger" passes: with Levels ["pwd", "mfa", "phr"] and ACR
	// ["mfa"], a token with acr "phr" passes and one with "pwd" does not.
	// Every value of ACR must be in Levels; an acr not in Levels passes
	// only if it is in ACR.
	Levels []string

	// MaxAge is the longest time since the user's login (auth_time) a
	// token may carry. Zero: auth_time is not checked. A token without
	// auth_time, or with one further in the future than MaxLeeway, is
	// refused.
	MaxAge time.Duration

	// Now returns the current time. Default time.Now; set it in tests.
	Now func() time.Time
}

// StepUpError reports a valid token whose login does not meet a route's
// StepUp. It matches [ErrInsufficientUserAuthentication]. Check is
// CheckACR or CheckAuthTime (CheckACRS for RequireEntraAuthContext);
// ACRValues and MaxAge are what the challenge asks for.
// ClaimsRequest, when set, is the OpenID Connect claims request (JSON) of
// an Entra claims challenge (see [RequireEntraAuthContext]), answered as
// insufficient_claims instead.
type StepUpError struct {
	Check         Check
	Description   string
	ACRValues     []string
	MaxAge        time.Duration
	ClaimsRequest string
}

// Error implements error; it never contains any part of the token.
func (e *StepUpError) Error() string {
	return "identsphere: insufficient user authentication: " + string(e.Check) + ": " + e.Description
}

// Is makes errors.Is(err, ErrInsufficientUserAuthentication) true.
func (e *StepUpError) Is(target error) bool { return target == ErrInsufficientUserAuthentication }

// RequireStepUp accepts tokens whose acr and auth_time meet s. It panics
// on a StepUp that no token could meet, or that checks nothing (no ACR, no
// MaxAge, a negative MaxAge, an empty acr value, an ACR value missing from
// Levels): a route that silently refuses everyone, or admits everyone, is
// a programming error, best seen at start-up. On a cache hit it costs a
// few comparisons and one reading of the clock, and allocates nothing.
func RequireStepUp(s StepUp) Rule {
	s = s.checked()
	accepted := s.accepted()
	refusal := func(check Check, description string) error {
		return &StepUpError{Check: check, Description: description, ACRValues: s.ACR, MaxAge: s.MaxAge}
	}
	return func(_ context.Context, c *Claims) error {
		switch {
		case len(accepted) > 0 && c.ACR == "":
			return refusal(CheckACR, "the token does not say how the user authenticated (acr)")
		case len(accepted) > 0 && !slices.Contains(accepted, c.ACR):
			return refusal(CheckACR, "this operation needs a stronger authentication (acr)")
		case s.MaxAge > 0 && c.AuthTime.IsZero():
			return refusal(CheckAuthTime, "the token does not say when the user authenticated (auth_time)")
		case s.MaxAge > 0:
			if age := s.Now().Sub(c.AuthTime); age > s.MaxAge || age < -MaxLeeway {
				return refusal(CheckAuthTime, "this operation needs a more recent authentication (auth_time)")
			}
		}
		return nil
	}
}

// checked returns s with its defaults, and panics as RequireStepUp says.
func (s StepUp) checked() StepUp {
	fail := func(format string, args ...any) {
		panic(fmt.Sprintf("identsphere: RequireStepUp: "+format, args...))
	}
	if len(s.ACR) == 0 && s.MaxAge == 0 {
		fail("neither ACR nor MaxAge is set: the rule would check nothing")
	}
	if s.MaxAge < 0 {
		fail("MaxAge %v is negative", s.MaxAge)
	}
	for _, v := range append(slices.Clone(s.ACR), s.Levels...) {
		if v == "" || scopeTokens([]string{v}) != v {
			fail("%q is not a valid acr value", v)
		}
	}
	for _, v := range s.ACR {
		if len(s.Levels) > 0 && !slices.Contains(s.Levels, v) {
			fail("ACR value %q is not in Levels", v)
		}
	}
	s.ACR, s.Levels = slices.Clone(s.ACR), slices.Clone(s.Levels)
	if s.Now == nil {
		s.Now = time.Now
	}
	return s
}

// accepted lists every acr value that passes: ACR, and with Levels every
// value ranked at or above the weakest of ACR.
func (s StepUp) accepted() []string {
	if len(s.ACR) == 0 || len(s.Levels) == 0 {
		return s.ACR
	}
	weakest := len(s.Levels)
	for _, v := range s.ACR {
		weakest = min(weakest, slices.Index(s.Levels, v))
	}
	accepted := slices.Clone(s.ACR)
	for _, v := range s.Levels[weakest:] {
		if !slices.Contains(accepted, v) {
			accepted = append(accepted, v)
		}
	}
	return accepted
}

// challengeParams renders the auth-params of e's challenge: acr_values and
// max_age (RFC 9470 section 3), or Entra's claims.
func (e *StepUpError) challengeParams() string {
	if e.ClaimsRequest != "" {
		return `claims="` + base64Std(e.ClaimsRequest) + `"`
	}
	params := ""
	if v := scopeTokens(e.ACRValues); v != "" {
		params = `acr_values="` + v + `"`
	}
	if e.MaxAge > 0 {
		if params != "" {
			params += ", "
		}
		params += `max_age="` + strconv.FormatInt(int64(e.MaxAge/time.Second), 10) + `"`
	}
	return params
}

// code is the RFC 6750 error code of e's answer.
func (e *StepUpError) code() string {
	if e.ClaimsRequest != "" {
		return "insufficient_claims"
	}
	return "insufficient_user_authentication"
}
