package bench

import (
	"context"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	grpcmwauth "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/identsphere/identsphere-go/bench/internal/fixture"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/grpcauth"
)

// grpcMethod is the method the gRPC rows call.
const grpcMethod = "/shop.Orders/List"

// unaryCall is one unary call through the server interceptor ic, as
// grpc-go makes it once it has read the call: the incoming context with
// the call's metadata, and a handler that reads the caller's subject the
// way its library documents (ok). Its base is the handler's own work, so
// the row is the interceptor's cost above grpc-go's own.
func unaryCall(tb testing.TB, ic grpc.UnaryServerInterceptor, token string, ok func(context.Context) bool) subject {
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+token))
	info := &grpc.UnaryServerInfo{FullMethod: grpcMethod}
	handler := func(ctx context.Context, _ any) (any, error) {
		must(ok(ctx), "gRPC handler: no subject")
		return nil, nil
	}
	return subject{
		run: func() {
			_, err := ic(ctx, nil, info, handler)
			must(err == nil, "gRPC call: %v", err)
		},
		base: func() { _ = ok(ctx) }, // the handler's own work, without the call's context it lacks

		floor: newFloors(tb).rs256,
	}
}

// grpcauthSubject is grpcauth's unary interceptor with the cache on or off.
func grpcauthSubject(cached bool) func(tb testing.TB) subject {
	return func(tb testing.TB) subject {
		auth, err := grpcauth.New(newValidator(tb, cached), grpcauth.Config{Procedures: core.ProcedureRules{
			Rules: map[string][]core.Rule{"/shop.Orders/*": nil},
		}})
		if err != nil {
			tb.Fatal(err)
		}
		return unaryCall(tb, auth.UnaryServerInterceptor(), getEnv(tb).Token, func(ctx context.Context) bool {
			c, ok := core.ClaimsFrom(ctx)
			return ok && c.Subject != ""
		})
	}
}

// grpcContestants are grpcauth's unary interceptor, cached and uncached,
// and the hand-written pattern most gRPC teams use: go-grpc-middleware's
// auth interceptor with golang-jwt and keyfunc.
var grpcContestants = []contestant{
	{"grpcauth/uncached", grpcauthSubject(false)},
	{"grpcauth/cached", grpcauthSubject(true)},
	{"auth0-go-jwt-middleware-v3-grpc", auth0V3Subject},
	{"go-grpc-middleware-auth-keyfunc", func(tb testing.TB) subject {
		e := getEnv(tb)
		ctx, cancel := context.WithCancel(context.Background())
		tb.Cleanup(cancel)
		k, err := keyfunc.NewDefaultCtx(ctx, []string{e.Issuer.JWKSURL()})
		if err != nil {
			tb.Fatal(err)
		}
		authFunc := func(ctx context.Context) (context.Context, error) {
			token, err := grpcmwauth.AuthFromMD(ctx, "bearer")
			if err != nil {
				return nil, err
			}
			var claims seedClaims
			if _, err := jwt.ParseWithClaims(token, &claims, k.Keyfunc,
				jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(e.Issuer.URL()),
				jwt.WithAudience(fixture.Audience), jwt.WithExpirationRequired(), jwt.WithLeeway(30*time.Second),
			); err != nil {
				return nil, err
			}
			return context.WithValue(ctx, seedKey{}, &claims), nil
		}
		return unaryCall(tb, grpcmwauth.UnaryServerInterceptor(authFunc), e.Token, func(ctx context.Context) bool {
			c, ok := ctx.Value(seedKey{}).(*seedClaims)
			return ok && c.Subject != ""
		})
	}},
}

func BenchmarkGRPC(b *testing.B) { runAll(b, grpcContestants, measure) }
