package grpcauth_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/grpcauth"
)

// The test service "api" serves the table's procedures (/api/me,
// /api/admin, /api/verified), either all unary or all streaming: each
// answers the caller's subject, as the handler sees it in its claims.
var methods = []string{"me", "admin", "verified"}

// subject is the handlers' answer: the subject of the claims in ctx.
func subject(ctx context.Context) (*wrapperspb.StringValue, error) {
	c, ok := core.ClaimsFrom(ctx)
	if !ok {
		return nil, status.Error(codes.Internal, "the handler saw no claims")
	}
	return wrapperspb.String(c.Subject), nil
}

// unaryService is "api" with unary methods.
func unaryService() *grpc.ServiceDesc {
	sd := &grpc.ServiceDesc{ServiceName: "api", HandlerType: (*any)(nil)}
	for _, m := range methods {
		full := "/api/" + m
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
					h := func(ctx context.Context, _ any) (any, error) { return subject(ctx) }
					if ic == nil {
						return h(ctx, nil)
					}
					return ic(ctx, &emptypb.Empty{}, &grpc.UnaryServerInfo{Server: srv, FullMethod: full}, h)
				},
			},
		)
	}
	return sd
}

// streamService is "api" with bidirectional streaming methods: each
// answers every message with the subject, until the client closes.
func streamService() *grpc.ServiceDesc {
	sd := &grpc.ServiceDesc{ServiceName: "api", HandlerType: (*any)(nil)}
	for _, m := range methods {
		sd.Streams = append(sd.Streams, grpc.StreamDesc{StreamName: m, ServerStreams: true, ClientStreams: true,
			Handler: func(_ any, ss grpc.ServerStream) error {
				for {
					if err := ss.RecvMsg(new(emptypb.Empty)); err != nil {
						if errors.Is(err, io.EOF) {
							return nil
						}
						return err
					}
					sub, err := subject(ss.Context())
					if err != nil {
						return err
					}
					if err := ss.SendMsg(sub); err != nil {
						return err
					}
				}
			}})
	}
	return sd
}

// server is a gRPC server on loopback behind the interceptors, with a
// client connection to it.
type server struct {
	conn *grpc.ClientConn
	addr string
}

// serve starts a server of sd (and the health service) behind auth, on
// loopback, until the test ends; creds, if any, are the server's TLS.
func serve(
	t testing.TB,
	auth *grpcauth.Interceptors,
	sd *grpc.ServiceDesc,
	creds credentials.TransportCredentials,
	dial ...grpc.DialOption,
) *server {
	t.Helper()
	opts := []grpc.ServerOption{
		grpc.UnaryInterceptor(auth.UnaryServerInterceptor()),
		grpc.StreamInterceptor(auth.StreamServerInterceptor()),
	}
	if creds != nil {
		opts = append(opts, grpc.Creds(creds))
	}
	return serveWith(t, opts, sd, dial...)
}

// serveWith starts a server of sd (and the health service) with opts, on
// loopback, until the test ends.
func serveWith(t testing.TB, opts []grpc.ServerOption, sd *grpc.ServiceDesc, dial ...grpc.DialOption) *server {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	srv.RegisterService(sd, struct{}{})
	grpc_health_v1.RegisterHealthServer(srv, health.NewServer())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Stop()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	if len(dial) == 0 {
		dial = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	conn, err := grpc.NewClient(lis.Addr().String(), dial...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &server{conn: conn, addr: lis.Addr().String()}
}

// outgoing returns ctx sending md, a list of key, value pairs.
func outgoing(ctx context.Context, md metadata.MD) context.Context {
	return metadata.NewOutgoingContext(ctx, md)
}

// unary calls method with md and returns the subject the handler saw.
func (s *server) unary(ctx context.Context, method string, md metadata.MD, opts ...grpc.CallOption) (string, error) {
	out := new(wrapperspb.StringValue)
	err := s.conn.Invoke(outgoing(ctx, md), method, &emptypb.Empty{}, out, opts...)
	return out.GetValue(), err
}

// stream opens a stream of method with md, sends one message, and
// returns the subject of the answer, or the stream's error.
func (s *server) stream(ctx context.Context, method string, md metadata.MD) (string, error) {
	ctx, cancel := context.WithCancel(outgoing(ctx, md))
	defer cancel()
	st, err := s.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method)
	if err != nil {
		return "", err
	}
	if err := st.SendMsg(&emptypb.Empty{}); err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	out := new(wrapperspb.StringValue)
	if err := st.RecvMsg(out); err != nil {
		return "", err
	}
	if err := st.CloseSend(); err != nil {
		return "", err
	}
	if err := st.RecvMsg(new(wrapperspb.StringValue)); !errors.Is(err, io.EOF) {
		return "", err
	}
	return out.GetValue(), nil
}

// codeName is a code as authcases names it: "permission_denied".
func codeName(c codes.Code) string {
	switch c {
	case codes.OK:
		return "ok"
	case codes.Unauthenticated:
		return "unauthenticated"
	case codes.PermissionDenied:
		return "permission_denied"
	case codes.Unavailable:
		return "unavailable"
	}
	return strings.ToLower(c.String())
}
