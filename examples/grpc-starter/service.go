package main

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/identsphere/identsphere-go/core"
)

// The Greeter's full method names, which the access rules list.
const (
	methodHello = "/starter.v1.Greeter/Hello"
	methodTicks = "/starter.v1.Greeter/Ticks"
)

// greeterService is starter.v1.Greeter, written out by hand so that the
// starter builds without protoc; a real service registers its generated
// RegisterXServer instead. Its messages are protobuf's well-known
// google.protobuf.Empty and StringValue.
func greeterService(tick time.Duration) *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: "starter.v1.Greeter",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{
			{
				MethodName: "Hello",
				Handler: func(
					srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor,
				) (any, error) {
					in := new(emptypb.Empty)
					if err := dec(in); err != nil {
						return nil, err
					}
					return ic(
						ctx,
						in,
						&grpc.UnaryServerInfo{Server: srv, FullMethod: methodHello},
						func(ctx context.Context, _ any) (any, error) {
							return hello(ctx)
						},
					)
				},
			},
		},
		Streams: []grpc.StreamDesc{
			{StreamName: "Ticks", ServerStreams: true, Handler: func(_ any, ss grpc.ServerStream) error {
				if err := ss.RecvMsg(new(emptypb.Empty)); err != nil {
					return err
				}
				return ticks(ss, tick)
			}},
		},
	}
}

// hello answers the caller's subject.
func hello(ctx context.Context) (*wrapperspb.StringValue, error) {
	c, ok := core.ClaimsFrom(ctx)
	if !ok {
		return nil, status.Error(codes.Internal, "no claims")
	}
	return wrapperspb.String("hello " + c.Subject), nil
}

// ticks sends the time every tick until the stream's context ends: when
// the client leaves, or when grpcauth ends the stream because the token
// expired or was revoked.
func ticks(ss grpc.ServerStream, tick time.Duration) error {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		if err := ss.SendMsg(wrapperspb.String(time.Now().UTC().Format(time.RFC3339))); err != nil {
			return err
		}
		select {
		case <-ss.Context().Done():
			if err := context.Cause(ss.Context()); !errors.Is(err, context.Canceled) {
				return err // grpcauth answers with the lease's status
			}
			return nil
		case <-t.C:
		}
	}
}
