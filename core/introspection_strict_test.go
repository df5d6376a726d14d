package core_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// A client that hangs up is not an endpoint outage: with FailOpen, the
// caller's own cancelled context must still refuse the request, never let
// a revoked token through to the handler.
func TestFailOpenNeverAdmitsACancelledRequest(t *testing.T) {
	iss := newIssuer(t)
	v := authcases.NewValidator(t, config(iss))
	token := iss.MustMint(nil)
	c, err := v.Verify(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	iss.Revoke(token)
	iss.SetIntrospectionFault(authtest.FaultSlow)
	iss.SetSlowDelay(time.Minute)
	open := newIntrospector(
		t,
		v,
		func(c *core.IntrospectionConfig) { c.FailOpen = true; c.Timeout = 50 * time.Millisecond },
	)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := open.CheckFresh(ctx, token, c); err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller with FailOpen: %v, want a refusal wrapping context.Canceled", err)
	}

	// Through the middleware: the handler is never reached.
	var reached atomic.Int64
	a := core.NewAuthenticator(v)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r, ok := a.Admit(w, r); ok && core.Fresh(w, r, open) {
			reached.Add(1)
		}
	})
	for range 20 {
		ctx, cancel := context.WithCancel(t.Context())
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/api/transfer", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		cancel()
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("%d of 20 aborted requests reached the handler with a revoked token", n)
	}
}

// Introspection answers are read as strictly as token claims; a lax reader
// would take each of the bodies below for "active".
func TestIntrospectionAnswersAreReadStrictly(t *testing.T) {
	iss := newIssuer(t)
	v := authcases.NewValidator(t, config(iss))
	token := iss.MustMint(nil)
	c, err := v.Verify(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	var body atomic.Value
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body.Load().(string)))
	}))
	t.Cleanup(endpoint.Close)
	check := func(answer string) error {
		body.Store(answer)
		in := newIntrospector(t, v, func(c *core.IntrospectionConfig) { c.Endpoint = endpoint.URL })
		return in.CheckFresh(t.Context(), token, c)
	}

	for _, answer := range []string{
		`{"active":true}`,
		`{"active":true,"aud":"` + authcases.Audience + `"}`,
		`{"active":true,"aud":["another-api","` + authcases.Audience + `"]}`,
		` {"active" : true, "scope":"read", "ext":{"active":false}} `,
		`{"active":true,"iss":"` + iss.URL() + `"}`,
	} {
		if err := check(answer); err != nil {
			t.Errorf("%s: %v, want active", answer, err)
		}
	}
	for _, answer := range []string{
		`{"ACTIVE":true}`,
		`{"active":true}garbage`,
		`{"active":true}{"active":true}`,
		`{"active":"true"}`,
		`{"active":1}`,
		`{"active":true,"active":false}`,
		`{"active":false,"active":true}`,
		`{"\u0061ctive":true,"active":false}`,
		`[{"active":true}]`,
		`{"active":true,"aud":1}`,
		`{"active":true,"iss":1}`,
	} {
		err := check(answer)
		if !errors.Is(err, core.ErrRevocationUnavailable) {
			t.Errorf("%s: %v, want a malformed answer (ErrRevocationUnavailable)", answer, err)
		}
	}
	for _, answer := range []string{
		`{"active":false}`,
		`{"active":false,"Active":true}`,
		`{"active":true,"aud":"another-api"}`,
		`{"active":true,"aud":["another-api","yet-another"]}`,
		`{"active":true,"iss":"https://another-issuer.example"}`, // about another issuer's token
	} {
		err := check(answer)
		if !errors.Is(err, core.ErrInvalidToken) {
			t.Errorf("%s: %v, want inactive (ErrInvalidToken)", answer, err)
		}
	}
}
