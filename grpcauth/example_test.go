package grpcauth_test

import (
	"context"
	"fmt"
	"log"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/grpcauth"
)

// Protect a gRPC service, and call it with real tokens from authtest over
// loopback. The setup is the README's section "gRPC".
func Example() {
	iss := authtest.NewIssuer() // in production: your issuer's URL
	defer iss.Close()
	v, err := core.New(context.Background(), core.Config{Issuer: iss.URL(), Audience: []string{iss.Audience()}})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	_ = v.WaitReady(context.Background())

	auth, err := grpcauth.New(v, grpcauth.Config{Procedures: core.ProcedureRules{
		Public: []string{grpcauth.HealthService}, // no token
		Rules: map[string][]core.Rule{
			"/shop.Orders/*":      nil,                                  // any valid token
			"/shop.Orders/Cancel": {core.RequireScopes("orders:write")}, // and a scope
		},
	}})
	if err != nil {
		log.Fatal(err)
	}
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(auth.UnaryServerInterceptor()),
		grpc.StreamInterceptor(auth.StreamServerInterceptor()),
	)

	srv.RegisterService(ordersService(), struct{}{}) // your generated RegisterOrdersServer
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	token := iss.MustMint(authtest.Claims{"scope": "orders:read"})
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
	for _, method := range []string{"/shop.Orders/List", "/shop.Orders/Cancel", "/shop.Orders/Archive"} {
		out := new(wrapperspb.StringValue)
		err := conn.Invoke(ctx, method, &emptypb.Empty{}, out)
		fmt.Println(method, status.Code(err), out.GetValue()+status.Convert(err).Message())
	}
	// Output:
	// /shop.Orders/List OK user-1
	// /shop.Orders/Cancel PermissionDenied insufficient_scope: the token lacks a required scope
	// /shop.Orders/Archive OK user-1
}

// ordersService is a service shop.Orders whose methods answer the
// caller's subject: a generated service in a real program.
func ordersService() *grpc.ServiceDesc {
	sd := &grpc.ServiceDesc{ServiceName: "shop.Orders", HandlerType: (*any)(nil)}
	for _, m := range []string{"List", "Cancel", "Archive"} {
		full := "/shop.Orders/" + m
		sd.Methods = append(
			sd.Methods,
			grpc.MethodDesc{
				MethodName: m,
				Handler: func(
					srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor,
				) (any, error) {
					if err := dec(new(emptypb.Empty)); err != nil {
						return nil, err
					}
					return ic(
						ctx,
						&emptypb.Empty{},
						&grpc.UnaryServerInfo{Server: srv, FullMethod: full},
						func(ctx context.Context, _ any) (any, error) {
							return subject(ctx)
						},
					)
				},
			},
		)
	}
	return sd
}
