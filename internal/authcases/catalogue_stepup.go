package authcases

import (
	"net/http"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
)

// The step-up routes (RFC 9470), which every adapter serves with its own
// RequireStepUp and Require.
const (
	// PathStepUp needs StepUpRoute: acr mfa or stronger, a login within
	// five minutes.
	PathStepUp = "/api/stepup"
	// PathEntraStepUp needs Entra's authentication context EntraContext
	// (core.RequireEntraAuthContext).
	PathEntraStepUp = "/api/entra-stepup"
	// EntraContext is the authentication context PathEntraStepUp needs.
	EntraContext = "c1"
)

// StepUpRoute is what PathStepUp demands of the login.
func StepUpRoute() core.StepUp {
	return core.StepUp{ACR: []string{"mfa"}, Levels: []string{"pwd", "mfa", "phr"}, MaxAge: 5 * time.Minute}
}

// Challenges of the step-up refusals.
const (
	ChallengeStepUp = `Bearer error="insufficient_user_authentication", acr_values="mfa", max_age="300"`
	// ChallengeEntraStepUp carries the base64 of
	// {"access_token":{"acrs":{"essential":true,"value":"c1"}}}.
	ChallengeEntraStepUp = `Bearer error="insufficient_claims", ` +
		`claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiYzEifX19"`
)

// stepUpCases are the step-up table: the login's strength (acr) and age
// (auth_time), each missing, of the wrong type, too weak or too old.
func stepUpCases(e *Env) []Case {
	mint := func(claims authtest.Claims) string { return e.Issuer.MustMint(claims) }
	now := time.Now()
	fresh := now.Add(-time.Minute)
	login := func(acr any, authTime any) string { return mint(authtest.Claims{"acr": acr, "auth_time": authTime}) }
	stepUp := func(name, token, description string, why ...string) Case {
		c := Case{Name: name, Path: PathStepUp, Auth: bearer(token), Status: http.StatusUnauthorized,
			Challenge: ChallengeStepUp, Code: "insufficient_user_authentication", Description: description}
		if len(why) > 0 {
			c.Why = why[0]
		}
		return c
	}
	entra := func(name, token string) Case {
		return Case{Name: name, Path: PathEntraStepUp, Auth: bearer(token), Status: http.StatusUnauthorized,
			Challenge: ChallengeEntraStepUp, Code: "insufficient_claims", Description: "acrs"}
	}
	return []Case{
		ok("step-up: acr mfa, fresh login", Case{Path: PathStepUp, Auth: bearer(login("mfa", fresh))}),
		ok("step-up: acr stronger than mfa", Case{Path: PathStepUp, Auth: bearer(login("phr", fresh))}),
		ok(
			"step-up: POST with acr mfa",
			Case{Method: http.MethodPost, Path: PathStepUp, Auth: bearer(login("mfa", fresh))},
		),
		ok(
			"step-up: login just within max_age",
			Case{Path: PathStepUp, Auth: bearer(login("mfa", now.Add(-4*time.Minute)))},
		),
		stepUp("step-up: acr weaker than mfa", login("pwd", fresh), "stronger authentication"),
		stepUp("step-up: acr unknown", login("urn:example:weird", fresh), "stronger authentication",
			"an acr outside Levels passes only if it is one of ACR: an unknown class is not ranked above mfa"),
		stepUp(
			"step-up: acr missing",
			mint(authtest.Claims{"auth_time": fresh}),
			"acr",
			"fail closed: a token that does not say how the user logged in did not step up",
		),
		stepUp("step-up: acr of the wrong type", login([]string{"mfa"}, fresh), "acr"),
		stepUp(
			"step-up: acr of another case",
			login("MFA", fresh),
			"stronger authentication",
			"acr values are compared exactly",
		),
		stepUp("step-up: login too old", login("mfa", now.Add(-10*time.Minute)), "more recent authentication"),
		stepUp("step-up: auth_time missing", mint(authtest.Claims{"acr": "mfa"}), "auth_time"),
		stepUp("step-up: auth_time as a string", login("mfa", "1700000000"), "auth_time"),
		stepUp("step-up: auth_time far in the future", login("mfa", now.Add(time.Hour)), "more recent authentication",
			"a login in the future is a broken or forged clock, not a fresh login"),
		{
			Name:      "step-up: invalid token",
			Path:      PathStepUp,
			Auth:      bearer("x.y.z"),
			Status:    401,
			Challenge: ChallengeToken,
			Code:      "invalid_token",
		},
		{Name: "step-up: no token", Path: PathStepUp, Status: 401, Challenge: ChallengeMissing},

		ok(
			"entra step-up: acrs holds c1",
			Case{Path: PathEntraStepUp, Auth: bearer(mint(authtest.Claims{"acrs": []string{"c1", "c2"}}))},
		),
		entra("entra step-up: acrs missing", mint(nil)),
		entra("entra step-up: acrs without c1", mint(authtest.Claims{"acrs": []string{"c2"}})),
		entra("entra step-up: acrs a string", mint(authtest.Claims{"acrs": "c1"})),
		entra("entra step-up: acrs with a non-string member", mint(authtest.Claims{"acrs": []any{"c1", 1}})),
	}
}
