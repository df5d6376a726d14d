package grpcauth_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// A unary cache hit costs the interceptor two allocations: the copy of the
// authorization metadata grpc-go hands out, and core's admission (the
// claims and the context that carries them).
func TestUnaryCacheHitAllocations(t *testing.T) {
	env := authcases.NewEnv(t)
	ic := newInterceptors(t, env.Validator).UnaryServerInterceptor()
	ctx := metadata.NewIncomingContext(
		context.Background(),
		metadata.Pairs("authorization", "Bearer "+env.Issuer.MustMint(nil)),
	)
	info := &grpc.UnaryServerInfo{FullMethod: authcases.PathMe}
	handler := func(ctx context.Context, _ any) (any, error) {
		if _, ok := core.ClaimsFrom(ctx); !ok {
			panic("the handler saw no claims")
		}
		return nil, nil
	}
	call := func() {
		if _, err := ic(ctx, nil, info, handler); err != nil {
			panic(err)
		}
	}
	call() // fills the cache
	if n := testing.AllocsPerRun(100, call); n != 2 {
		t.Fatalf("%v allocations per cache hit, want 2", n)
	}
}
