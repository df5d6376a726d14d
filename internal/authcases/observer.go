package authcases

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
)

// Decisions is a core.Observer that records every Decision it is told of,
// so that a transport's test can check that each call it answered was
// reported, admitted or refused and by which check, as the HTTP adapters
// report theirs. Events and timed operations are not recorded.
type Decisions struct {
	mu  sync.Mutex
	all []core.Decision
}

var _ core.Observer = (*Decisions)(nil)

// Decided records d.
func (o *Decisions) Decided(_ context.Context, d core.Decision) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.all = append(o.all, d)
}

// Happened ignores e: the transports report no events of their own.
func (o *Decisions) Happened(context.Context, core.Event) {}

// Start times nothing.
func (o *Decisions) Start(ctx context.Context, _ core.Operation, _ string) (context.Context, func(error)) {
	return ctx, func(error) {}
}

// Take returns the decisions recorded since the last Take, oldest first,
// and forgets them.
func (o *Decisions) Take() []core.Decision {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := slices.Clone(o.all)
	o.all = o.all[:0]
	return out
}

// ObservedCall is a call of the table and the one decision a transport
// must report for it.
type ObservedCall struct {
	Name, Path string
	Auth       []string      // Authorization values
	Want       core.Decision // Admitted, Check and Status are compared
}

// ObservedCalls are an admitted call and a refusal by each kind of check:
// no token, a check of the token, a procedure's rule.
func ObservedCalls(e *Env) []ObservedCall {
	bearer := func(c authtest.Claims) []string { return []string{"Bearer " + e.Issuer.MustMint(c)} }
	return []ObservedCall{
		{"admitted", PathMe, bearer(nil), core.Decision{Admitted: true}},
		{"no token", PathMe, nil, core.Decision{Check: core.CheckMissing, Status: http.StatusUnauthorized}},
		{"expired", PathMe, bearer(authtest.Claims{"exp": time.Now().Add(-time.Hour)}),
			core.Decision{Check: core.CheckExp, Status: http.StatusUnauthorized}},
		{"scope", PathAdmin, bearer(authtest.Claims{"scope": "read"}),
			core.Decision{Check: core.CheckScope, Status: http.StatusForbidden}},
	}
}

// CheckDecisions asserts that got is the one decision c must report, and
// that an admission names the issuer that admitted it.
func CheckDecisions(t testing.TB, name string, c ObservedCall, got []core.Decision) {
	t.Helper()
	if len(got) != 1 {
		t.Errorf("%s: %d decisions reported, want 1: %+v", name, len(got), got)
		return
	}
	d := got[0]
	if d.Admitted != c.Want.Admitted || d.Check != c.Want.Check || d.Status != c.Want.Status {
		t.Errorf(
			"%s: reported %+v, want admitted=%v check=%q status=%d",
			name,
			d,
			c.Want.Admitted,
			c.Want.Check,
			c.Want.Status,
		)
	}
	if d.Admitted && d.Issuer == "" {
		t.Errorf("%s: an admission names no issuer", name)
	}
}
