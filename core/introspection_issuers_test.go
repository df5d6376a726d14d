package core_test

import (
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// introspectionIssuers are three real fake issuers of one audience: A and
// B with introspection credentials of their own, C whose introspection
// the service has no credentials for; and a Validator trusting all three.
type introspectionIssuers struct {
	a, b, c *authtest.Issuer
	v       *core.Validator
	log     *jsonLog
}

func newIntrospectionIssuers(t *testing.T) *introspectionIssuers {
	e := &introspectionIssuers{
		a: authtest.NewIssuer(
			authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
			authtest.WithAudience("orders-api"),
			authtest.WithIntrospectionClient("a-client", "a-secret"),
		),
		b: authtest.NewIssuer(
			authtest.WithKey(testkeys.KIDEC, testkeys.EC()),
			authtest.WithAudience("orders-api"),
			authtest.WithIntrospectionClient("b-client", "b-secret"),
		),
		c: authtest.NewIssuer(
			authtest.WithKey(testkeys.KIDRSA, testkeys.RSA2()),
			authtest.WithAudience("orders-api"),
			authtest.WithIntrospectionClient("c-client", "c-secret"),
		),
		log: &jsonLog{},
	}
	for _, iss := range []*authtest.Issuer{e.a, e.b, e.c} {
		t.Cleanup(iss.Close)
	}
	e.v = newMulti(t, core.MultiConfig{Logger: e.log.logger(), Issuers: []core.Config{
		{Issuer: e.a.URL(), Audience: []string{"orders-api"}},
		{Issuer: e.b.URL(), Audience: []string{"orders-api"}},
		{Issuer: e.c.URL(), Audience: []string{"orders-api"}},
	}})
	return e
}

// Each issuer's client credentials go to its own introspection endpoint
// only, for the tokens it admitted; a token of an issuer with no
// introspection configured is answered as an unreachable endpoint would
// be (503), never sent to another issuer's endpoint, and the missing
// setting is logged once.
func TestIntrospectionCredentialsStayWithTheirIssuer(t *testing.T) {
	e := newIntrospectionIssuers(t)
	// Before: one client id and secret, sent to whichever issuer's
	// discovered endpoint, its answer trusted. Now credentials that name no
	// issuer are refused at construction.
	if _, err := core.NewIntrospector(
		e.v,
		core.IntrospectionConfig{ClientID: "a-client", ClientSecret: "a-secret"},
	); err == nil ||
		!strings.Contains(err.Error(), "IntrospectionConfig.Issuer") {
		t.Fatalf("credentials bound to no issuer of several: %v, want an error naming IntrospectionConfig.Issuer", err)
	}
	in, err := core.NewIntrospector(e.v, core.IntrospectionConfig{
		Issuer: e.a.URL(), ClientID: "a-client", ClientSecret: "a-secret",
		Issuers: []core.IntrospectionClient{{Issuer: e.b.URL(), ClientID: "b-client", ClientSecret: "b-secret"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	srv := authcases.Serve(t, freshHandler(e.v, in))
	fresh := func(iss *authtest.Issuer) authcases.Answer {
		return authcases.Do(
			t,
			srv.URL,
			authcases.Case{Path: "/api/transfer", Auth: []string{"Bearer " + iss.MustMint(nil)}},
		)
	}
	revoked := e.b.MustMint(nil)
	e.b.Revoke(revoked)
	for _, c := range []struct {
		name   string
		answer authcases.Answer
		status int
	}{
		{"A's token", fresh(e.a), 200},
		{"B's token", fresh(e.b), 200},
		{
			"B's revoked token",
			authcases.Do(t, srv.URL, authcases.Case{Path: "/api/transfer", Auth: []string{"Bearer " + revoked}}),
			401,
		},
		{"C's token", fresh(e.c), 503},
		{"C's other token", fresh(e.c), 503},
	} {
		if c.answer.Status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, c.answer.Status, c.answer.Body, c.status)
		}
	}
	for _, c := range []struct {
		name string
		iss  *authtest.Issuer
		want map[string]int64
	}{
		{"A", e.a, map[string]int64{"a-client": 1}},
		{"B", e.b, map[string]int64{"b-client": 2}},
		{"C", e.c, map[string]int64{}},
	} {
		if got := c.iss.IntrospectionClients(); !maps.Equal(got, c.want) {
			t.Errorf("%s's introspection endpoint received client ids %v, want %v", c.name, got, c.want)
		}
	}
	var missing []map[string]any
	for _, r := range e.log.records(t, "introspection cannot work for this issuer") {
		if r["level"] == "ERROR" && r["issuer"] == e.c.URL() &&
			strings.Contains(r["error"].(string), "IntrospectionConfig.Issuers") {
			missing = append(missing, r)
		}
	}
	if len(missing) != 1 {
		t.Errorf("%d error records naming C and the missing setting, want 1; log:\n%s", len(missing), e.log)
	}
}

// Under FailOpen a token of an issuer with no introspection configured is
// admitted, as with an unreachable endpoint; the default refuses it.
func TestIntrospectionOfAnUnconfiguredIssuerFollowsFailOpen(t *testing.T) {
	e := newIntrospectionIssuers(t)
	for _, failOpen := range []bool{false, true} {
		in, err := core.NewIntrospector(
			e.v,
			core.IntrospectionConfig{
				Issuer:       e.a.URL(),
				ClientID:     "a-client",
				ClientSecret: "a-secret",
				FailOpen:     failOpen,
			},
		)
		if err != nil {
			t.Fatal(err)
		}
		token := e.c.MustMint(nil)
		c, err := e.v.Verify(t.Context(), token)
		if err != nil {
			t.Fatal(err)
		}
		err = in.CheckFresh(t.Context(), token, c)
		if failOpen && err != nil || !failOpen && !errors.Is(err, core.ErrRevocationUnavailable) {
			t.Errorf("FailOpen %v: %v", failOpen, err)
		}
		_ = in.Close()
	}
	if n := e.c.IntrospectionRequests(); n != 0 {
		t.Errorf("C's endpoint was asked %d times", n)
	}
}

// The Introspector's configuration is checked against the Validator's
// issuers: credentials of another issuer than a single Validator's, an
// entry without an issuer, an issuer twice, and several issuers with no
// introspection configured at all are errors.
func TestIntrospectionConfigBindsCredentialsToIssuers(t *testing.T) {
	e := newIntrospectionIssuers(t)
	single := authcases.NewValidator(t, config(e.a))
	multiOfOne := newMulti(
		t,
		core.MultiConfig{Issuers: []core.Config{{Issuer: e.a.URL(), Audience: []string{"orders-api"}}}},
	)
	for name, c := range map[string]struct {
		v   *core.Validator
		cfg core.IntrospectionConfig
	}{
		"another issuer than the Validator's": {
			single,
			core.IntrospectionConfig{Issuer: e.b.URL(), ClientID: "b-client"},
		},
		"an entry without an issuer": {
			e.v,
			core.IntrospectionConfig{Issuers: []core.IntrospectionClient{{ClientID: "x"}}},
		},
		"an issuer twice": {e.v, core.IntrospectionConfig{
			Issuer:  e.a.URL(),
			Issuers: []core.IntrospectionClient{{Issuer: e.a.URL()}},
		}},
		"several issuers, nothing configured": {e.v, core.IntrospectionConfig{}},
	} {
		if _, err := core.NewIntrospector(c.v, c.cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for name, c := range map[string]struct {
		v   *core.Validator
		cfg core.IntrospectionConfig
	}{
		"a single Validator's issuer by default": {single, core.IntrospectionConfig{ClientID: "a-client"}},
		"a single Validator's issuer named":      {single, core.IntrospectionConfig{Issuer: e.a.URL()}},
		"NewMulti's only issuer by default":      {multiOfOne, core.IntrospectionConfig{ClientID: "a-client"}},
		"several issuers listed": {e.v, core.IntrospectionConfig{Issuers: []core.IntrospectionClient{
			{Issuer: e.a.URL()},
			{Issuer: e.b.URL(), Endpoint: e.b.IntrospectionURL()},
		}}},
	} {
		in, err := core.NewIntrospector(c.v, c.cfg)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		_ = in.Close()
	}
}

// An OpaqueVerifier serves one issuer: its credentials reach that
// issuer's endpoint alone, whatever tokens it is shown, and a token of
// another issuer is not active there.
func TestOpaqueVerifierCredentialsStayWithItsIssuer(t *testing.T) {
	e := newIntrospectionIssuers(t)
	o, err := core.NewOpaqueVerifier(
		core.OpaqueConfig{Issuer: e.a.URL(), ClientID: "a-client", ClientSecret: "a-secret",
			SkipAudienceCheck: true, AllowInsecureHTTP: true, Logger: authcases.Discard()},
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.Close() })
	h := core.NewAuthenticator(o)
	for _, c := range []struct {
		iss    *authtest.Issuer
		status int
	}{{e.a, 200}, {e.b, 401}, {e.c, 401}} {
		w := httptest.NewRecorder()
		r, _ := http.NewRequest(http.MethodGet, "/api/me", nil)
		r.Header.Set("Authorization", "Bearer "+c.iss.MustMint(nil))
		if _, ok := h.Admit(w, r); ok != (c.status == 200) || c.status != 200 && w.Code != c.status {
			t.Errorf("a token of %s: admitted %v, %d %s; want %d", c.iss.URL(), ok, w.Code, w.Body, c.status)
		}
	}
	if got := e.a.IntrospectionClients(); !maps.Equal(got, map[string]int64{"a-client": 3}) {
		t.Errorf("A's endpoint received client ids %v, want a-client 3 times", got)
	}
	if e.b.IntrospectionRequests()+e.c.IntrospectionRequests() != 0 {
		t.Errorf(
			"other issuers' endpoints were asked: B %d, C %d",
			e.b.IntrospectionRequests(),
			e.c.IntrospectionRequests(),
		)
	}
}
