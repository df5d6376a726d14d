package core

import (
	"context"
	"errors"
	"fmt"
)

// Rule is an application rule checked on a valid token. It returns nil to
// accept. A *PolicyError or *ScopeError is answered as is (403), a
// *StepUpError as is (401, see RequireStepUp); any other
// error is answered as 403 forbidden with a generic description, so a rule
// never leaks its internals to the client.
type Rule func(ctx context.Context, c *Claims) error

// RequireScopes accepts tokens that grant every one of scopes, each matched
// as a whole space-separated word. It panics on a scope that no token could
// ever grant (empty, or with a space, quote, backslash or control
// character): a route that silently refuses everyone is a programming
// error, best seen at start-up.
func RequireScopes(scopes ...string) Rule {
	for _, s := range scopes {
		if s == "" || scopeTokens([]string{s}) != s {
			panic(fmt.Sprintf("identsphere: RequireScopes: %q is not a valid scope", s))
		}
	}
	return func(_ context.Context, c *Claims) error {
		for _, s := range scopes {
			if !c.HasScope(s) {
				return &ScopeError{Required: scopes}
			}
		}
		return nil
	}
}

// RequireVerifiedEmail accepts tokens whose email_verified claim is the JSON
// boolean true, as OpenID Connect defines it: missing, false, or any other
// type (such as the string "true") fails.
func RequireVerifiedEmail() Rule {
	return func(_ context.Context, c *Claims) error {
		if c.EmailVerified == nil || !*c.EmailVerified {
			return &PolicyError{Rule: CheckEmailVerified, Description: "the email address is not verified"}
		}
		return nil
	}
}

// CheckRules runs rules in order on c and returns the first refusal,
// normalised as documented on [Rule].
func CheckRules(ctx context.Context, c *Claims, rules ...Rule) error {
	for _, rule := range rules {
		err := rule(ctx, c)
		if err == nil {
			continue
		}
		if errors.Is(err, ErrInsufficientScope) || errors.Is(err, ErrForbidden) ||
			errors.Is(err, ErrInsufficientUserAuthentication) {
			return err
		}
		return &PolicyError{Rule: CheckCustom, Description: "the token is not allowed here", Err: err}
	}
	return nil
}
