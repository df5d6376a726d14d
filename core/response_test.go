package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/core"
)

func TestNewErrorResponse(t *testing.T) {
	cases := []struct {
		name       string
		err        error
		status     int
		challenge  string
		code       string
		retryAfter string
	}{
		{"missing", core.ErrMissingToken, 401, `Bearer realm="api"`, "", ""},
		{
			"request",
			&core.RequestError{Description: "several Authorization headers"},
			400,
			`Bearer error="invalid_request"`,
			"invalid_request",
			"",
		},
		{
			"token",
			&core.TokenError{Check: "exp", Description: "the token has expired"},
			401,
			`Bearer error="invalid_token"`,
			"invalid_token",
			"",
		},
		{
			"scope",
			&core.ScopeError{Required: []string{"admin", "write"}},
			403,
			`Bearer error="insufficient_scope", scope="admin write"`,
			"insufficient_scope",
			"",
		},
		{
			"policy",
			&core.PolicyError{Rule: "email_verified", Description: "the email address is not verified"},
			403,
			"",
			"forbidden",
			"",
		},
		{"keys", core.ErrKeysUnavailable, 503, "", "temporarily_unavailable", "5"},
		{
			"wrapped keys",
			errors.Join(errors.New("ctx"), core.ErrKeysUnavailable),
			503,
			"",
			"temporarily_unavailable",
			"5",
		},
		{
			"unknown error fails closed",
			errors.New("stand-in verifier said no"),
			401,
			`Bearer error="invalid_token"`,
			"invalid_token",
			"",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			core.NewErrorResponse(tc.err, "api").Write(rec)
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d", rec.Code, tc.status)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.challenge)
			}
			if got := rec.Header().Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var body map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if body["error"] != tc.code || body["error_description"] == "" {
				t.Errorf("body %v, want error %q and a description", body, tc.code)
			}
		})
	}
}

func TestErrorResponseIsSafe(t *testing.T) {
	hostile := "line\r\nX-Injected: 1 \"quoted\" \\ ünïcode"
	for _, err := range []error{
		&core.RequestError{Description: hostile},
		&core.PolicyError{Rule: "custom", Description: hostile},
		&core.ScopeError{Required: []string{`ad"min`, "x\r\ny"}},
	} {
		r := core.NewErrorResponse(err, `re"alm`)
		for _, c := range r.Description + r.WWWAuthenticate {
			if c == '\r' || c == '\n' || c == '\\' || c > 0x7E {
				t.Fatalf("unsafe character %q in %q / %q", c, r.Description, r.WWWAuthenticate)
			}
		}
		if strings.Contains(r.Description, `"`) {
			t.Fatalf("quote in description %q", r.Description)
		}
	}
	if r := core.NewErrorResponse(
		&core.ScopeError{Required: []string{`ad"min`}},
		"x",
	); r.WWWAuthenticate != `Bearer error="insufficient_scope", scope="admin"` {
		t.Fatalf("scope challenge %q", r.WWWAuthenticate)
	}
	if r := core.NewErrorResponse(core.ErrMissingToken, `re"alm`); r.WWWAuthenticate != `Bearer realm="realm"` {
		t.Fatalf("realm challenge %q", r.WWWAuthenticate)
	}
}

// A rule's refusal is answered 403 whatever its own error wraps, and its
// error's text never reaches the client.
func TestRuleErrorsNeverEscapeTheirCategory(t *testing.T) {
	for name, ruleErr := range map[string]error{
		"request error":         &core.RequestError{Description: "internal detail: db user=app"},
		"wrapped missing token": errors.Join(errors.New("lookup"), core.ErrMissingToken),
		"wrapped keys":          errors.Join(errors.New("lookup"), core.ErrKeysUnavailable),
		"token error":           &core.TokenError{Check: "exp", Description: "internal detail"},
	} {
		rule := func(context.Context, *core.Claims) error { return ruleErr }
		err := core.CheckRules(context.Background(), &core.Claims{}, rule)
		r := core.NewErrorResponse(err, "x")
		if r.Status != 403 || r.Code != "forbidden" || strings.Contains(string(r.Body), "internal detail") {
			t.Errorf("%s: answered %d %s", name, r.Status, r.Body)
		}
		for _, other := range []error{
			core.ErrMissingToken,
			core.ErrInvalidRequest,
			core.ErrInvalidToken,
			core.ErrKeysUnavailable,
		} {
			if errors.Is(err, other) {
				t.Errorf("%s: the rule's error also matches %v", name, other)
			}
		}
	}
	if r := core.NewErrorResponse(&core.PolicyError{Rule: "r"}, "x"); r.Description == "" {
		t.Error("empty description sent")
	}
}

func TestRequireScopesRefusesImpossibleScopes(t *testing.T) {
	for _, bad := range []string{"", " ", "a b", `a"b`} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RequireScopes(%q) accepted a scope no token can grant", bad)
				}
			}()
			core.RequireScopes(bad)
		}()
	}
}
