package connectauth_test

import (
	"context"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// Every Connect call, unary or streaming, over each protocol, reports its
// decision to the Observer once: admitted, or refused with the check that
// refused it and the HTTP status its code maps from, as the HTTP
// middleware does.
func TestCallsReportToObserver(t *testing.T) {
	env := authcases.NewEnv(t)
	rec := &authcases.Decisions{}
	auth := newAuth(t, env.Validator, core.WithObserver(rec))
	unary := serve(t, auth)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for protocol := range protocols {
		for _, c := range authcases.ObservedCalls(env) {
			_, err := unary.call(ctx, protocol, c.Path, c.Auth...)
			if (err == nil) != c.Want.Admitted {
				t.Errorf("unary, %s: %s: %v", protocol, c.Name, err)
			}
			authcases.CheckDecisions(t, "unary, "+protocol+": "+c.Name, c, rec.Take())
		}
	}
	for kind, k := range streamKinds {
		s := k.serve(t, auth.Middleware)
		for protocol := range protocols {
			for _, c := range authcases.ObservedCalls(env) {
				_, err := k.call(s, ctx, protocol, c.Path, c.Auth...)
				if (err == nil) != c.Want.Admitted {
					t.Errorf("%s, %s: %s: %v", kind, protocol, c.Name, err)
				}
				authcases.CheckDecisions(t, kind+", "+protocol+": "+c.Name, c, rec.Take())
			}
		}
	}
}
