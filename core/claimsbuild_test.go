package core_test

import (
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// NewClaims gives the typed fields and the claims JSON a verified token
// with the same claims gives: the token is minted and verified for real,
// and the two Claims are compared field by field and through Decode.
func TestNewClaimsMatchesAVerifiedToken(t *testing.T) {
	iss := newIssuer(t)
	v := authcases.NewValidator(t, config(iss))
	now := time.Now().Truncate(time.Second)
	members := map[string]any{
		"iss":            iss.URL(),
		"aud":            []string{authcases.Audience, "other"},
		"sub":            "user-7",
		"exp":            now.Add(time.Hour),
		"nbf":            now.Add(-time.Minute),
		"iat":            now.Add(-time.Minute),
		"jti":            "token-1",
		"sid":            "session-1",
		"email":          "a@example.com",
		"email_verified": true,
		"org":            "acme",
		"scope":          "read write",
		"scp":            []string{"admin", "read"},
		"roles":          []string{"billing", "support"},
		"tenant":         map[string]any{"id": 42, "name": "<acme & co>"},
	}
	verified, err := v.Verify(t.Context(), iss.MustMint(authtest.Claims(members)))
	if err != nil {
		t.Fatal(err)
	}
	built, err := core.NewClaims(members)
	if err != nil {
		t.Fatal(err)
	}

	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"Issuer", built.Issuer, verified.Issuer},
		{"Subject", built.Subject, verified.Subject},
		{"Audience", built.Audience, verified.Audience},
		{"ExpiresAt", built.ExpiresAt, verified.ExpiresAt},
		{"NotBefore", built.NotBefore, verified.NotBefore},
		{"IssuedAt", built.IssuedAt, verified.IssuedAt},
		{"ID", built.ID, verified.ID},
		{"SessionID", built.SessionID, verified.SessionID},
		{"Email", built.Email, verified.Email},
		{"EmailVerified", *built.EmailVerified, *verified.EmailVerified},
		{"Org", built.Org, verified.Org},
		{"Scopes", built.Scopes, verified.Scopes},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s: NewClaims gives %v, a verified token %v", f.name, f.got, f.want)
		}
	}
	if !built.ExpiresAt.Equal(now.Add(time.Hour)) || built.Subject != "user-7" ||
		!slices.Equal(built.Scopes, []string{"read", "write", "admin"}) {
		t.Errorf("typed fields: %+v", built)
	}

	var fromToken, fromMap map[string]any
	if err := verified.Decode(&fromToken); err != nil {
		t.Fatal(err)
	}
	if err := built.Decode(&fromMap); err != nil {
		t.Fatal(err)
	}
	if !maps.EqualFunc(fromToken, fromMap, func(a, b any) bool { return reflect.DeepEqual(a, b) }) {
		t.Errorf("claims JSON: NewClaims gives %v, a verified token %v", fromMap, fromToken)
	}
	type extra struct {
		Roles  []string `json:"roles"`
		Tenant struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		} `json:"tenant"`
	}
	e, err := core.CustomClaims[extra](built)
	if err != nil || !slices.Equal(e.Roles, []string{"billing", "support"}) || e.Tenant.ID != 42 ||
		e.Tenant.Name != "<acme & co>" {
		t.Errorf("CustomClaims: %+v, %v", e, err)
	}
}

// The same strict decoder as a token's claims: registered claims of the
// wrong type are refused, names are matched byte for byte, and profile
// claims of the wrong type are left empty.
func TestNewClaimsIsStrict(t *testing.T) {
	for _, tc := range []struct {
		name    string
		members map[string]any
		check   core.Check // the TokenError's Check, "" for success
	}{
		{"exp as a string", map[string]any{"exp": "tomorrow"}, "exp"},
		{"exp as an RFC 3339 time", map[string]any{"exp": time.Now().Format(time.RFC3339)}, "exp"},
		{"sub as a number", map[string]any{"sub": 7}, "sub"},
		{"aud as a number", map[string]any{"aud": 7}, "aud"},
		{"iss null", map[string]any{"iss": nil}, "iss"},
		{"case-variant names are other claims", map[string]any{"ISS": 7, "Sub": 7}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := core.NewClaims(tc.members)
			if tc.check == "" {
				if err != nil || c.Issuer != "" || c.Subject != "" {
					t.Fatalf("(%+v, %v), want empty typed fields and no error", c, err)
				}
				return
			}
			var te *core.TokenError
			if !errors.As(err, &te) || te.Check != tc.check || !errors.Is(err, core.ErrInvalidToken) || c != nil {
				t.Fatalf("(%v, %v), want a TokenError for %q", c, err, tc.check)
			}
		})
	}

	c, err := core.NewClaims(map[string]any{"email_verified": "true", "scope": 7, "email": false})
	if err != nil || c.EmailVerified != nil || len(c.Scopes) != 0 || c.Email != "" {
		t.Errorf("profile claims of the wrong type: (%+v, %v), want them left empty", c, err)
	}

	if _, err := core.NewClaims(map[string]any{"x": make(chan int)}); err == nil ||
		!strings.Contains(err.Error(), "NewClaims") {
		t.Errorf("a value JSON cannot encode: %v, want an error naming NewClaims", err)
	}
}

func TestNewClaimsOfNothing(t *testing.T) {
	for _, members := range []map[string]any{nil, {}} {
		c, err := core.NewClaims(members)
		if err != nil || c.Subject != "" || !c.ExpiresAt.IsZero() {
			t.Fatalf("NewClaims(%v) = (%+v, %v)", members, c, err)
		}
		var extra struct{ Roles []string }
		if err := c.Decode(&extra); err != nil || extra.Roles != nil {
			t.Fatalf("Decode: (%v, %v)", extra, err)
		}
	}
	members := map[string]any{"exp": time.Unix(1700000000, 0)}
	if _, err := core.NewClaims(members); err != nil {
		t.Fatal(err)
	}
	if _, ok := members["exp"].(time.Time); !ok {
		t.Error("NewClaims changed the caller's map")
	}
}

// Decode and CustomClaims on Claims without claims JSON report it, and
// never panic: nil Claims (no middleware), or a struct literal.
func TestDecodeWithoutClaimsJSON(t *testing.T) {
	var extra struct{ Roles []string }
	var nilClaims *core.Claims
	if err := nilClaims.Decode(&extra); err == nil || !strings.Contains(err.Error(), "nil Claims") {
		t.Errorf("nil Claims: %v", err)
	}
	if _, err := core.CustomClaims[map[string]any](nil); err == nil {
		t.Error("CustomClaims on nil Claims: no error")
	}
	literal := &core.Claims{Subject: "user-1"}
	if err := literal.Decode(&extra); err == nil || !strings.Contains(err.Error(), "core.NewClaims") {
		t.Errorf("struct literal: %v, want an error pointing to core.NewClaims", err)
	}
}

// A handler that reads a custom claim, tested without a token: NewClaims in
// the request's context through WithClaims. Route rules apply as they do
// behind the middleware.
func TestWithClaimsCarriesCustomClaims(t *testing.T) {
	handler := func(w http.ResponseWriter, r *http.Request) {
		c, ok := core.ClaimsFrom(r.Context())
		if !ok {
			http.Error(w, "no claims", http.StatusUnauthorized)
			return
		}
		e, err := core.CustomClaims[struct {
			Tenant string `json:"tenant"`
		}](c)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte(c.Subject + "@" + e.Tenant))
	}
	c, err := core.NewClaims(map[string]any{"sub": "user-1", "tenant": "acme", "scope": "read"})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	r = r.WithContext(core.WithClaims(r.Context(), c))
	w := httptest.NewRecorder()
	handler(w, r)
	if w.Code != http.StatusOK || w.Body.String() != "user-1@acme" {
		t.Fatalf("%d %q", w.Code, w.Body.String())
	}

	for _, tc := range []struct {
		scope string
		want  int
	}{{"read", http.StatusOK}, {"admin", http.StatusForbidden}} {
		w := httptest.NewRecorder()
		if core.Authorize(w, r, core.RequireScopes(tc.scope)) {
			w.WriteHeader(http.StatusOK)
		}
		if w.Code != tc.want {
			t.Errorf("RequireScopes(%q): %d, want %d", tc.scope, w.Code, tc.want)
		}
	}
}
