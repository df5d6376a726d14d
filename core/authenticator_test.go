package core_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

func bearerRequest(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// A handler that changes the claims it was given changes no other
// request's, although every request of the token is a cache hit.
func TestAdmitGivesEachRequestItsOwnClaims(t *testing.T) {
	iss := newIssuer(t)
	a := core.NewAuthenticator(authcases.NewValidator(t, config(iss)))
	token := iss.MustMint(authtest.Claims{"sub": "user-1", "scope": "read write list"})
	for i := range 3 {
		r, ok := a.Admit(httptest.NewRecorder(), bearerRequest(token))
		if !ok {
			t.Fatalf("request %d refused", i)
		}
		c, _ := core.ClaimsFrom(r.Context())
		if c.Subject != "user-1" || c.HasScope("admin") || len(c.Scopes) != 3 {
			t.Fatalf("request %d sees an earlier request's changes: %+v", i, c)
		}
		c.Subject = "admin"
		c.Scopes = append(c.Scopes, "admin")
	}
}

// Each copy's slices have no spare capacity, so appends to two copies
// never write into the same array (a data race between two requests).
func TestCacheClaimsSlicesCannotBeAppendedInto(t *testing.T) {
	iss := newIssuer(t)
	v := authcases.NewValidator(t, config(iss))
	token := iss.MustMint(authtest.Claims{"scope": "a b c"}) // three scopes: spare capacity unless clipped
	c1, c2 := mustClaims(t, v, token), mustClaims(t, v, token)
	c1.Scopes = append(c1.Scopes, "one")
	c2.Scopes = append(c2.Scopes, "two")
	if got := c1.Scopes[3]; got != "one" {
		t.Fatalf("another copy's append overwrote this one's: %q", got)
	}
}

func mustClaims(t *testing.T, v *core.Validator, token string) *core.Claims {
	t.Helper()
	c, err := v.Verify(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// noClaims is a TokenVerifier stand-in that returns neither claims nor an
// error: a bug in the stand-in, which must not admit anyone.
type noClaims struct{}

func (noClaims) Verify(context.Context, string) (*core.Claims, error) { return nil, nil }

func TestAdmitRefusesAVerifierWithoutClaims(t *testing.T) {
	a := core.NewAuthenticator(noClaims{})
	w := httptest.NewRecorder()
	if _, ok := a.Admit(w, bearerRequest("abc.def.ghi")); ok {
		t.Fatal("admitted without claims")
	}
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", w.Code)
	}
	if _, err := a.Authenticate(bearerRequest("abc.def.ghi")); !errors.Is(err, core.ErrInvalidToken) {
		t.Fatalf("Authenticate: %v, want ErrInvalidToken", err)
	}
}

// An admitted cache hit is one allocation: the request's copy, its context
// and its claims live together. Allocation counts are deterministic, unlike
// timings; bench/ measures the time.
func TestAdmitCacheHitAllocatesOnce(t *testing.T) {
	iss := newIssuer(t)
	a := core.NewAuthenticator(authcases.NewValidator(t, config(iss)))
	r := bearerRequest(iss.MustMint(nil))
	w := httptest.NewRecorder()
	if _, ok := a.Admit(w, r); !ok {
		t.Fatal("refused")
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := a.Admit(w, r); !ok {
			panic("refused")
		}
	})
	if allocs > 1 {
		t.Fatalf("an admitted cache hit allocates %v times, want 1", allocs)
	}
}
