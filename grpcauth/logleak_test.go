package grpcauth_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/grpcauth"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// The attack catalogue through unary and streaming gRPC methods, under
// authcases.LeakAudit: no status message and no record carries a
// credential sent, nor any run of 16 of its characters; every refused call
// writes exactly one refusal record, with the status of its answer and, if
// any, the fingerprint of a token the call carried.
func TestCatalogueLogsNoTokenOverGRPC(t *testing.T) {
	audit := authcases.NewLeakAudit(t)
	// Fresh interceptors per call, so that the refusal log's rate limit
	// (per check) never hides a record: every refusal is written.
	var current atomic.Pointer[grpcauth.Interceptors]
	opts := []grpc.ServerOption{
		grpc.UnaryInterceptor(func(
			ctx context.Context,
			req any,
			info *grpc.UnaryServerInfo,
			h grpc.UnaryHandler,
		) (any, error) {
			return current.Load().UnaryServerInterceptor()(ctx, req, info, h)
		}),
		grpc.StreamInterceptor(
			func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
				return current.Load().StreamServerInterceptor()(srv, ss, info, h)
			},
		),
	}
	unary := serveWith(t, opts, unaryService())
	streams := serveWith(t, opts, streamService())
	kinds := map[string]func(context.Context, string, metadata.MD) (string, error){
		"unary": func(ctx context.Context, m string, md metadata.MD) (string, error) {
			return unary.unary(ctx, m, md)
		},
		"stream": streams.stream,
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for c := range authcases.NewTable(t, audit.Env, authcases.RPCCases).All() {
		path := c.Path
		if path == "" {
			path = authcases.PathMe
		}
		for kind, call := range kinds {
			current.Store(newInterceptors(t, audit.Validator, core.WithRefusalLog(audit.Logger, slog.LevelWarn)))
			audited := audit.Begin(kind+": "+c.Name, c)
			sub, err := call(ctx, path, metadata.MD{"authorization": c.Auth})
			checkAnswer(t, kind+": "+c.Name, c, sub, err)
			if err == nil {
				audited.Admitted(t)
			} else {
				audited.Refused(t, c.Status, status.Convert(err).Message())
			}
		}
	}
	audit.Finish(t)
}
