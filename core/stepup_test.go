package core_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

func TestClaimsStepUpFields(t *testing.T) {
	at := time.Unix(1_700_000_000, 0)
	c, err := core.NewClaims(map[string]any{"sub": "u", "acr": "mfa", "amr": []string{"pwd", "otp"}, "auth_time": at})
	if err != nil {
		t.Fatal(err)
	}
	if c.ACR != "mfa" || !slices.Equal(c.AMR, []string{"pwd", "otp"}) || !c.AuthTime.Equal(at) {
		t.Errorf("acr %q, amr %q, auth_time %v", c.ACR, c.AMR, c.AuthTime)
	}
	// Of the wrong type, each is absent, so that a rule needing it fails
	// closed; the token itself stays valid.
	c, err = core.NewClaims(map[string]any{"sub": "u", "acr": 2, "amr": []any{"pwd", 1}, "auth_time": "1700000000"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ACR != "" || c.AMR != nil || !c.AuthTime.IsZero() {
		t.Errorf("malformed claims read as acr %q, amr %q, auth_time %v", c.ACR, c.AMR, c.AuthTime)
	}
}

func TestRequireStepUp(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	rule := core.RequireStepUp(
		core.StepUp{
			ACR:    []string{"mfa"},
			Levels: []string{"pwd", "mfa", "phr"},
			MaxAge: time.Minute,
			Now:    func() time.Time { return now },
		},
	)
	for _, tc := range []struct {
		acr      string
		authTime time.Time
		check    core.Check // "" accepted
	}{
		{"mfa", now.Add(-time.Minute), ""},
		{"phr", now, ""},
		{"mfa", now.Add(core.MaxLeeway), ""},
		{"pwd", now, core.CheckACR},
		{"", now, core.CheckACR},
		{"mfa", now.Add(-time.Minute - time.Second), core.CheckAuthTime},
		{"mfa", now.Add(core.MaxLeeway + time.Second), core.CheckAuthTime},
		{"mfa", time.Time{}, core.CheckAuthTime},
	} {
		err := rule(context.Background(), &core.Claims{Subject: "u", ACR: tc.acr, AuthTime: tc.authTime})
		if core.CheckOf(err) != tc.check {
			t.Errorf(
				"acr %q auth_time %v: check %q, want %q (%v)",
				tc.acr,
				tc.authTime,
				core.CheckOf(err),
				tc.check,
				err,
			)
		}
		if tc.check == "" {
			continue
		}
		// The refusal survives CheckRules and is answered 401 with both
		// parameters, whichever check failed.
		err = core.CheckRules(context.Background(), &core.Claims{ACR: tc.acr, AuthTime: tc.authTime}, rule)
		if !errors.Is(err, core.ErrInsufficientUserAuthentication) || errors.Is(err, core.ErrForbidden) {
			t.Fatalf("CheckRules turned the refusal into %v", err)
		}
		resp := core.NewErrorResponse(err, core.DefaultRealm)
		want := `Bearer error="insufficient_user_authentication", acr_values="mfa", max_age="60"`
		if resp.Status != http.StatusUnauthorized || resp.WWWAuthenticate != want {
			t.Errorf("answer %d %q, want 401 %q", resp.Status, resp.WWWAuthenticate, want)
		}
	}
}

func TestRequireStepUpOneCheck(t *testing.T) {
	acrOnly := core.NewErrorResponse(
		core.RequireStepUp(core.StepUp{ACR: []string{"phr", "mfa"}})(context.Background(), &core.Claims{}),
		"",
	)
	ageOnly := core.NewErrorResponse(
		core.RequireStepUp(core.StepUp{MaxAge: 90 * time.Second})(context.Background(), &core.Claims{ACR: "x"}),
		"",
	)
	want := `Bearer error="insufficient_user_authentication", acr_values="phr mfa"`
	if acrOnly.WWWAuthenticate != want {
		t.Errorf("acr only: %q, want %q", acrOnly.WWWAuthenticate, want)
	}
	want = `Bearer error="insufficient_user_authentication", max_age="90"`
	if ageOnly.WWWAuthenticate != want {
		t.Errorf("max age only: %q, want %q", ageOnly.WWWAuthenticate, want)
	}
}

func TestRequireStepUpPanicsOnARuleNoTokenMeets(t *testing.T) {
	for name, s := range map[string]core.StepUp{
		"nothing to check":   {},
		"negative max age":   {MaxAge: -time.Second},
		"empty acr":          {ACR: []string{""}},
		"acr with a quote":   {ACR: []string{`a"b`}},
		"acr not in Levels":  {ACR: []string{"mfa"}, Levels: []string{"pwd", "phr"}},
		"level with a space": {ACR: []string{"mfa"}, Levels: []string{"mfa", "a b"}},
		"levels alone":       {Levels: []string{"mfa"}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			core.RequireStepUp(s)
		})
	}
}

func TestRequireEntraAuthContext(t *testing.T) {
	rule := core.RequireEntraAuthContext("c1", "c2")
	c, err := core.NewClaims(map[string]any{"sub": "u", "acrs": []string{"c2"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := rule(context.Background(), c); err != nil {
		t.Errorf("acrs [c2] refused: %v", err)
	}
	resp := core.NewErrorResponse(rule(context.Background(), &core.Claims{}), "")
	// base64 of {"access_token":{"acrs":{"essential":true,"values":["c1","c2"]}}}
	want := `Bearer error="insufficient_claims", ` +
		`claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlcyI6WyJjMSIsImMyIl19fX0="`
	if resp.Status != http.StatusUnauthorized || resp.WWWAuthenticate != want || resp.Code != "insufficient_claims" {
		t.Errorf("answer %d %q %q, want 401 %q", resp.Status, resp.Code, resp.WWWAuthenticate, want)
	}
}

// A DPoP-bound token refused for its login gets the DPoP challenge, which
// keeps the step-up parameters.
func TestStepUpChallengeUnderDPoP(t *testing.T) {
	env := authcases.NewEnv(t)
	a := core.NewAuthenticator(
		env.Validator,
		withDPoP(
			t,
			core.DPoPConfig{
				Mode:      core.DPoPRequired,
				PublicURL: authcases.DPoPPublicURL,
				Replay:    core.NewMemoryReplayCache(64, nil),
			},
		),
	)
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req.Header.Set("Authorization", "DPoP "+env.Issuer.MustMint(nil))
	rec := httptest.NewRecorder()
	a.WriteError(rec, req, core.RequireStepUp(core.StepUp{ACR: []string{"mfa"}})(context.Background(), &core.Claims{}))
	got := rec.Header().Get("WWW-Authenticate")
	if !strings.HasPrefix(got, `DPoP error="insufficient_user_authentication", acr_values="mfa", algs="`) {
		t.Errorf("WWW-Authenticate %q", got)
	}
}
