package core_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// Dex's cross-client trust: client orders-web asks for a token for
// orders-api, and gets aud [orders-api orders-web], azp orders-web, and
// at_hash (Dex's access tokens carry it too). orders-api takes it only
// once it names orders-web among its AuthorizedParties.
func TestAuthorizedPartiesTakeCrossClientIDTokens(t *testing.T) {
	iss := newIssuer(t)
	dex := func(aud any, azp string) string {
		c := authtest.Claims{"aud": aud, "at_hash": "k2vPX1y4b8_6ZQ3b0Vj1yw", "nonce": "n-0S6_WzA2Mj"}
		if azp != "" {
			c["azp"] = azp
		}
		return iss.MustMint(c, authtest.WithHeader("typ", nil))
	}
	cross := dex([]string{"orders-api", "orders-web"}, "orders-web")

	cfg := config(iss)
	cfg.Profile, cfg.Audience = core.IDTokens, []string{"orders-api"}
	verifyAll(t, authcases.NewValidator(t, cfg), map[string]tc{
		"cross-client token, orders-web not trusted": {cross, "azp"},
		"own token": {dex("orders-api", ""), ""},
	})

	cfg.AuthorizedParties = []string{"orders-web"}
	v := authcases.NewValidator(t, cfg)
	verifyAll(t, v, map[string]tc{
		"cross-client token from orders-web":      {cross, ""},
		"own token":                               {dex("orders-api", ""), ""},
		"own token with azp":                      {dex("orders-api", "orders-api"), ""},
		"orders-web's own token":                  {dex("orders-web", ""), "aud"},
		"cross-client token from billing-web":     {dex([]string{"orders-api", "billing-web"}, "billing-web"), "azp"},
		"several audiences without azp":           {dex([]string{"orders-api", "orders-web"}, ""), "azp"},
		"trusted azp, another service's audience": {dex([]string{"billing-api", "orders-web"}, "orders-web"), "aud"},
	})

	// The refusal log says which azp it found and which it trusts.
	_, err := v.Verify(t.Context(), dex([]string{"orders-api", "billing-web"}, "billing-web"))
	var te *core.TokenError
	if !asTokenError(err, &te) || !slices.Equal(te.Expected, []string{"orders-api", "orders-web"}) ||
		!slices.Equal(te.Found, []string{"billing-web"}) {
		t.Errorf("azp refusal: %v, expected %q, found %q", err, te.Expected, te.Found)
	}
}

func TestAuthorizedPartiesAreForIDTokensOnly(t *testing.T) {
	iss := newIssuer(t)
	for name, cfg := range map[string]core.Config{
		"under AccessTokens": {
			Issuer:            iss.URL(),
			Audience:          []string{"orders-api"},
			AuthorizedParties: []string{"orders-web"},
		},
		"under RFC9068AccessTokens": {
			Issuer:            iss.URL(),
			Audience:          []string{"orders-api"},
			Profile:           core.RFC9068AccessTokens,
			AuthorizedParties: []string{"orders-web"},
		},
		"an empty party": {
			Issuer:            iss.URL(),
			Audience:          []string{"orders-api"},
			Profile:           core.IDTokens,
			AuthorizedParties: []string{""},
		},
	} {
		if _, err := core.New(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "AuthorizedParties") {
			t.Errorf("%s: New answered %v, want an error naming AuthorizedParties", name, err)
		}
	}
}

func TestTokenProfileTextNames(t *testing.T) {
	for _, p := range []core.TokenProfile{core.AccessTokens, core.RFC9068AccessTokens, core.IDTokens} {
		text, err := p.MarshalText()
		if err != nil {
			t.Fatalf("%v: %v", p, err)
		}
		var back core.TokenProfile = 7
		if err := back.UnmarshalText(text); err != nil || back != p {
			t.Errorf("%v → %q → %v, %v", p, text, back, err)
		}
	}
	for _, bad := range []string{"", "ID", "access ", "IDTokens", "jwt"} {
		var p core.TokenProfile
		if err := p.UnmarshalText([]byte(bad)); err == nil || !strings.Contains(err.Error(), "access, rfc9068 or id") {
			t.Errorf("%q: %v, want an error listing the names", bad, err)
		}
	}
	if _, err := core.TokenProfile(9).MarshalText(); err == nil {
		t.Error("an unknown profile has a text name")
	}
}

// A token refused for its kind is answered invalid_token with a
// description naming its kind, never the server's settings; the log says,
// once per window, which setting accepts that kind.
func TestKindRefusalNamesTheAcceptingSettingInTheLog(t *testing.T) {
	iss := newIssuer(t)
	idToken := iss.MustMint(authtest.Claims{"at_hash": "k2vPX1y4b8_6ZQ3b0Vj1yw", "azp": authcases.Audience})
	atJWT := iss.MustMint(authtest.Claims{"client_id": "app"}, authtest.WithHeader("typ", "at+jwt"))
	logout := iss.MustMint(
		authtest.Claims{"sid": "s-1", "events": map[string]any{core.BackChannelLogoutEvent: map[string]any{}}},
	)
	for _, tc := range []struct {
		name     string
		profile  core.TokenProfile
		setting  string // Config.ProfileSetting
		token    string
		kind     string // in the answer's description
		accepted string // the log's accepted_with; "" for no hint
	}{
		{"ID token at an access-token API", core.AccessTokens, "", idToken, "ID token", "Config.Profile=core.IDTokens"},
		{
			"ID token, the starter's setting",
			core.AccessTokens,
			"IDENTSPHERE_TOKEN_PROFILE",
			idToken,
			"ID token",
			"IDENTSPHERE_TOKEN_PROFILE=id",
		},
		{
			"access token at an ID-token gateway",
			core.IDTokens,
			"IDENTSPHERE_TOKEN_PROFILE",
			atJWT,
			"access token",
			"IDENTSPHERE_TOKEN_PROFILE=access",
		},
		{
			"no RFC 9068 typ",
			core.RFC9068AccessTokens,
			"",
			iss.MustMint(authtest.Claims{"client_id": "app"}),
			"not an RFC 9068 access token",
			"Config.Profile=core.AccessTokens",
		},
		{"a logout token, which no profile takes", core.AccessTokens, "", logout, "security event token", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(iss)
			cfg.Profile, cfg.ProfileSetting = tc.profile, tc.setting
			rec := newLogRecorder()
			a := core.NewAuthenticator(
				authcases.NewValidator(t, cfg),
				core.WithRefusalLog(slog.New(rec), slog.LevelInfo),
			)
			const refusals = 5
			for range refusals {
				req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/api/me", nil)
				req.Header.Set("Authorization", "Bearer "+tc.token)
				w := httptest.NewRecorder()
				if _, ok := a.Admit(w, req); ok {
					t.Fatal("admitted")
				}
				resp := w.Result()
				body := w.Body.String()
				if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"invalid_token"`) ||
					!strings.Contains(body, tc.kind) {
					t.Fatalf("answered %d %s, want 401 invalid_token naming %q", resp.StatusCode, body, tc.kind)
				}
				if strings.Contains(body+resp.Header.Get("WWW-Authenticate"), "Profile") ||
					strings.Contains(body, "IDENTSPHERE") {
					t.Fatalf("the answer names a setting: %s", body)
				}
			}
			if got := len(rec.matching("request refused", "check", "typ")); got != refusals {
				t.Errorf("%d refusal records, want %d", got, refusals)
			}
			hints := rec.matching("refused for its kind")
			switch {
			case tc.accepted == "" && len(hints) != 0:
				t.Errorf("a hint for a kind no profile takes: %v", hints)
			case tc.accepted != "" && (len(hints) != 1 || attr(hints[0], "accepted_with") != tc.accepted):
				t.Errorf("hints %v, want one with accepted_with=%s", hints, tc.accepted)
			}
		})
	}
}

// The README's recipe "An API gateway that takes ID tokens" is the code
// ExampleConfig_idTokenGateway compiles and runs: every line of its Go
// blocks is a line of the example.
func TestREADMEIDTokenGatewayIsTheExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("example_idtokens_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n### An API gateway that takes ID tokens\n")
	if !ok {
		t.Fatal("README.md has no section An API gateway that takes ID tokens")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	lines := map[string]bool{}
	for line := range strings.SplitSeq(string(example), "\n") {
		lines[strings.TrimSpace(line)] = true
	}
	blocks := 0
	for rest := section; ; blocks++ {
		_, after, ok := strings.Cut(rest, "```go\n")
		if !ok {
			break
		}
		block, tail, _ := strings.Cut(after, "```")
		for line := range strings.SplitSeq(block, "\n") {
			if line = strings.TrimSpace(line); line != "" && !lines[line] {
				t.Errorf("README line not in the example: %s", line)
			}
		}
		rest = tail
	}
	if blocks < 2 {
		t.Errorf("the recipe shows %d Go blocks, want the Config and the handler", blocks)
	}
}
