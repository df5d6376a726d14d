package grpcauth_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// Every gRPC call, unary or streaming, reports its decision to the
// Observer once: admitted, or refused with the check that refused it and
// the HTTP status its code maps from, as the HTTP middleware does.
func TestCallsReportToObserver(t *testing.T) {
	env := authcases.NewEnv(t)
	rec := &authcases.Decisions{}
	auth := newInterceptors(t, env.Validator, core.WithObserver(rec))
	unary := serve(t, auth, unaryService(), nil)
	streams := serve(t, auth, streamService(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, c := range authcases.ObservedCalls(env) {
		md := metadata.MD{"authorization": c.Auth}
		_, err := unary.unary(ctx, c.Path, md)
		if (err == nil) != c.Want.Admitted {
			t.Errorf("unary: %s: %v", c.Name, err)
		}
		authcases.CheckDecisions(t, "unary: "+c.Name, c, rec.Take())
		_, err = streams.stream(ctx, c.Path, md)
		if (err == nil) != c.Want.Admitted {
			t.Errorf("stream: %s: %v", c.Name, err)
		}
		authcases.CheckDecisions(t, "stream: "+c.Name, c, rec.Take())
	}
}
