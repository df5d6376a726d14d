//go:build unix

package examples_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The README's step-up walk-through, black-box, through each starter in
// dev mode: a password login may read but not change the account's email;
// the 401 names what is missing (acr_values, max_age); a login that asks
// for those values gets a token that passes.
func TestStarterStepUpWalkthrough(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		a := startApp(t, bin, "ADDR=127.0.0.1:0")
		changeEmail := func(token string) answer {
			return a.send(t, request{method: http.MethodPost, path: "/api/account/email", auth: bearer(token)})
		}

		password := loginToken(t, a, `{"email":"dev@example.com","password":"any"}`)
		expect(
			t,
			"a password login reads the profile",
			a.send(t, request{path: "/api/me", auth: bearer(password)}),
			http.StatusOK,
			"",
			"",
		)
		refused := changeEmail(password)
		expect(
			t,
			"a password login changes the email",
			refused,
			http.StatusUnauthorized,
			`Bearer error="insufficient_user_authentication", acr_values="mfa", max_age="300", `+strings.TrimSuffix(
				rmOf(a.url),
				", ",
			),
			"insufficient_user_authentication",
		)

		// The client sends the user back with the challenge's acr_values.
		acrValues := regexp.MustCompile(`acr_values="([^"]*)"`).
			FindStringSubmatch(refused.header.Get("WWW-Authenticate"))
		if acrValues == nil {
			t.Fatalf("no acr_values in %q", refused.header.Get("WWW-Authenticate"))
		}
		steppedUp := loginToken(t, a, `{"email":"dev@example.com","password":"any","acr_values":"`+acrValues[1]+`"}`)
		expect(t, "the stepped-up login changes the email", changeEmail(steppedUp), http.StatusOK, "", "")

		// The banner shows that login.
		line := a.waitLine(
			t,
			a.stdout,
			"the banner's step-up login",
			startTimeout,
			func(l string) bool { return strings.Contains(l, `"acr_values"`) },
		)
		body := regexp.MustCompile(`-d '([^']*)'`).FindStringSubmatch(line)
		if body == nil || !strings.Contains(body[1], `"acr_values":"`+acrValues[1]+`"`) {
			t.Fatalf("the banner's step-up login %q does not ask for %q", line, acrValues[1])
		}
		expect(
			t,
			"the banner's step-up login changes the email",
			changeEmail(loginToken(t, a, body[1])),
			http.StatusOK,
			"",
			"",
		)
	})
}

// The step-up settings reach the challenge.
func TestStarterStepUpSettings(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		a := startApp(t, bin, "ADDR=127.0.0.1:0", "IDENTSPHERE_STEPUP_ACR=phr,phrh", "IDENTSPHERE_STEPUP_MAX_AGE=2m")
		mfa := loginToken(t, a, `{"email":"dev@example.com","password":"any","acr_values":"mfa"}`)
		expect(
			t,
			"an MFA login where phr is needed",
			a.send(t, request{method: http.MethodPost, path: "/api/account/email", auth: bearer(mfa)}),
			http.StatusUnauthorized,
			`Bearer error="insufficient_user_authentication", acr_values="phr phrh", max_age="120", `+
				strings.TrimSuffix(rmOf(a.url), ", "),
			"insufficient_user_authentication",
		)
		phrh := loginToken(t, a, `{"email":"dev@example.com","password":"any","acr_values":"phrh"}`)
		expect(
			t,
			"a phrh login",
			a.send(t, request{method: http.MethodPost, path: "/api/account/email", auth: bearer(phrh)}),
			http.StatusOK,
			"",
			"",
		)
	})
}

// loginToken logs in through the starter's login proxy and returns the
// access token.
func loginToken(t *testing.T, a *app, body string) string {
	t.Helper()
	login := a.send(
		t,
		request{
			method: http.MethodPost,
			path:   "/v1/auth/login",
			header: map[string]string{"Content-Type": "application/json"},
			body:   body,
		},
	)
	var session struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(login.body, &session); login.status != http.StatusOK || err != nil ||
		session.AccessToken == "" {
		t.Fatalf("login %s: %d %s", body, login.status, login.body)
	}
	return session.AccessToken
}
