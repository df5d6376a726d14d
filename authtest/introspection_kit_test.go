package authtest_test

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// Issuer.Introspector over a Validator of several issuers asks this issuer
// alone, with the credentials it was given (WithIntrospectionClient):
// tokens of the other issuer are answered as an unreachable endpoint would
// be, and never reach this issuer's endpoint.
func TestIntrospectorOfOneOfSeveralIssuers(t *testing.T) {
	a := newIssuer(
		t,
		authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithIntrospectionClient("a-client", "a-secret"),
	)
	b := newIssuer(t, authtest.WithKey(testkeys.KIDEC, testkeys.EC()))
	v, err := core.NewMulti(t.Context(), core.MultiConfig{Issuers: []core.Config{
		{Issuer: a.URL(), Audience: []string{a.Audience()}},
		{Issuer: b.URL(), Audience: []string{b.Audience()}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), authtest.ReadyTimeout)
	defer cancel()
	if err := v.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	in := a.Introspector(t, v)
	for _, c := range []struct {
		iss  *authtest.Issuer
		want error
	}{{a, nil}, {b, core.ErrRevocationUnavailable}} {
		token := c.iss.Token(t, nil)
		claims, err := v.Verify(t.Context(), token)
		if err != nil {
			t.Fatal(err)
		}
		if err := in.CheckFresh(t.Context(), token, claims); !errors.Is(err, c.want) && !(c.want == nil && err == nil) {
			t.Errorf("a token of %s: %v, want %v", c.iss.URL(), err, c.want)
		}
	}
	if got := a.IntrospectionClients(); !maps.Equal(got, map[string]int64{"a-client": 1}) {
		t.Errorf("A's endpoint received %v, want a-client once", got)
	}
	if n := b.IntrospectionRequests(); n != 0 {
		t.Errorf("B's endpoint was asked %d times", n)
	}
}
