package core_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// A configuration that could not mean what it says is an error.
func TestNewProceduresRefusesBadConfig(t *testing.T) {
	for name, cfg := range map[string]core.ProcedureRules{
		"nothing listed":        {},
		"no leading slash":      {Public: []string{"grpc.health.v1.Health/Check"}},
		"no method":             {Public: []string{"/grpc.health.v1.Health/"}},
		"no service":            {Public: []string{"//Check"}},
		"three parts":           {Public: []string{"/a/b/c"}},
		"space inside":          {Public: []string{"/a.B/C d"}},
		"partial wildcard":      {Public: []string{"/a.B/Get*"}},
		"public and with rules": {Public: []string{"/a.B/C"}, Rules: map[string][]core.Rule{"/a.B/C": nil}},
		"public twice":          {Public: []string{"/a.B/*", "/a.B/*"}},
		"nil rule":              {Rules: map[string][]core.Rule{"/a.B/C": {nil}}},
	} {
		if p, err := core.NewProcedures(cfg); err == nil {
			t.Errorf("%s: accepted (%v)", name, p)
		}
	}
}

// Procedures deny by default: public ones pass without a token, listed ones
// take a token that passes their rules, and any other is refused whatever
// the token.
func TestAuthenticateProcedure(t *testing.T) {
	env := authcases.NewEnv(t)
	a := core.NewAuthenticator(env.Validator, core.WithRefusalLog(nil, 0))
	p, err := core.NewProcedures(core.ProcedureRules{
		Public: []string{"/grpc.health.v1.Health/*"},
		Rules: map[string][]core.Rule{
			"/shop.Orders/*":      nil,
			"/shop.Orders/Delete": {core.RequireScopes("admin")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	valid, admin := env.Issuer.MustMint(nil), env.Issuer.MustMint(map[string]any{"scope": "admin"})
	call := func(path, token string) *core.Call {
		c := &core.Call{Method: http.MethodPost, Path: path}
		if token != "" {
			c.Authorization = []string{"Bearer " + token}
		}
		return c
	}
	for _, tc := range []struct {
		path, token string
		want        error // nil: admitted
		claims      bool
	}{
		{"/grpc.health.v1.Health/Check", "", nil, false},
		{"/grpc.health.v1.Health/Watch", "garbage", nil, false},
		{"/shop.Orders/List", valid, nil, true},
		{"/shop.Orders/List", "", core.ErrMissingToken, false},
		{"/shop.Orders/Delete", valid, core.ErrInsufficientScope, false},
		{"/shop.Orders/Delete", admin, nil, true},
		{"/shop.Payments/Refund", admin, core.ErrForbidden, false},
		{"/grpc.health.v1.HealthX/Check", admin, core.ErrForbidden, false},
		{"/shop.Orders", admin, core.ErrForbidden, false},
	} {
		ctx, err := a.AuthenticateProcedure(context.Background(), p, call(tc.path, tc.token))
		switch {
		case tc.want == nil && err != nil, tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s (token %v): %v, want %v", tc.path, tc.token != "", err, tc.want)
		case err == nil:
			if _, ok := core.ClaimsFrom(ctx); ok != tc.claims {
				t.Errorf("%s: claims %v, want %v", tc.path, ok, tc.claims)
			}
		}
		if errors.Is(tc.want, core.ErrForbidden) && core.CheckOf(err) != "procedure" {
			t.Errorf("%s: check %q, want procedure", tc.path, core.CheckOf(err))
		}
	}
}
