package connectauth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/identsphere/identsphere-go/internal/authcases"
)

// streamKinds are the two stream shapes a procedure can have besides
// unary: each serves the table's procedures behind auth and calls one.
var streamKinds = map[string]struct {
	serve func(testing.TB, func(http.Handler) http.Handler) *server
	call  func(s *server, ctx context.Context, protocol, procedure string, auth ...string) (string, error)
}{
	"server stream": {serveServerStreams, (*server).callServerStream},
	"bidi stream":   {serveBidiStreams, (*server).callBidiStream},
}

// serveServerStreams serves the table's procedures behind middleware as
// server-streaming handlers that send the subject they see, once.
func serveServerStreams(t testing.TB, middleware func(http.Handler) http.Handler) *server {
	t.Helper()
	return serveHandlers(t, middleware, func(path string) http.Handler {
		return connect.NewServerStreamHandler(path, func(
			ctx context.Context,
			_ *connect.Request[emptypb.Empty],
			st *connect.ServerStream[wrapperspb.StringValue],
		) error {
			sub, err := subject(ctx)
			if err != nil {
				return err
			}
			return st.Send(wrapperspb.String(sub))
		})
	})
}

// serveBidiStreams serves the table's procedures behind middleware as
// bidirectional handlers (HTTP/2) that answer the first message with the subject they
// see.
func serveBidiStreams(t testing.TB, middleware func(http.Handler) http.Handler) *server {
	t.Helper()
	return serveHandlers(t, middleware, func(path string) http.Handler {
		return connect.NewBidiStreamHandler(path, func(
			ctx context.Context,
			st *connect.BidiStream[emptypb.Empty, wrapperspb.StringValue],
		) error {
			sub, err := subject(ctx)
			if err != nil {
				return err
			}
			if _, err := st.Receive(); err != nil {
				return err
			}
			return st.Send(wrapperspb.String(sub))
		})
	})
}

// callServerStream opens a server stream of procedure over protocol with
// the Authorization values auth, and returns the one subject it sends, or
// the stream's error.
func (s *server) callServerStream(ctx context.Context, protocol, procedure string, auth ...string) (string, error) {
	client := connect.NewClient[emptypb.Empty, wrapperspb.StringValue](
		s.Client(),
		s.URL+procedure,
		protocols[protocol]...)
	req := connect.NewRequest(&emptypb.Empty{})
	for _, a := range auth {
		req.Header().Add("Authorization", a)
	}
	st, err := client.CallServerStream(ctx, req)
	if err != nil {
		return "", err
	}
	defer st.Close()
	var got []string
	for st.Receive() {
		got = append(got, st.Msg().GetValue())
	}
	if err := st.Err(); err != nil {
		return "", err
	}
	if len(got) != 1 {
		return "", connect.NewError(connect.CodeInternal, errors.New("the stream sent other than one message"))
	}
	return got[0], nil
}

// callBidiStream opens a bidirectional stream of procedure over protocol
// with the Authorization values auth, sends one message and returns the
// one subject it answers, or the stream's error.
func (s *server) callBidiStream(ctx context.Context, protocol, procedure string, auth ...string) (string, error) {
	client := connect.NewClient[emptypb.Empty, wrapperspb.StringValue](
		s.Client(),
		s.URL+procedure,
		protocols[protocol]...)
	st := client.CallBidiStream(ctx)
	for _, a := range auth {
		st.RequestHeader().Add("Authorization", a)
	}
	// A refused stream may be closed before the message is sent: the
	// refusal is then what Receive returns.
	if err := st.Send(&emptypb.Empty{}); err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if err := st.CloseRequest(); err != nil {
		return "", err
	}
	defer st.CloseResponse()
	msg, err := st.Receive()
	if err != nil {
		return "", err
	}
	if _, err := st.Receive(); !errors.Is(err, io.EOF) {
		return "", connect.NewError(connect.CodeInternal, errors.New("the stream sent other than one message"))
	}
	return msg.GetValue(), nil
}

// The attack catalogue through real connect-go server-streaming and
// bidirectional procedures over the Connect, gRPC and gRPC-Web protocols:
// each case gets the code, the reason and the token-free message it gets
// over unary calls, and no refused stream reaches its handler.
func TestCatalogueThroughConnectStreams(t *testing.T) {
	env := authcases.NewCatalogueEnv(t)
	auth := newAuth(t, env.Validator)
	cases := authcases.NewTable(t, env, authcases.RPCCases)
	if cases.Len() < 150 {
		t.Fatalf("only %d cases apply to RPC", cases.Len())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for kind, k := range streamKinds {
		s := k.serve(t, auth.Middleware)
		for protocol := range protocols {
			admitted := 0
			before := s.reached.Load()
			for c := range cases.All() {
				path := c.Path
				if path == "" {
					path = authcases.PathMe
				}
				sub, err := k.call(s, ctx, protocol, path, c.Auth...)
				if checkAnswer(t, kind+", "+protocol+": "+c.Name, c, sub, err) {
					admitted++
				}
			}
			if admitted == 0 || admitted == cases.Len() {
				t.Errorf("%s, %s: %d of %d cases admitted", kind, protocol, admitted, cases.Len())
			}
			if got := s.reached.Load() - before; got != int64(admitted) {
				t.Errorf("%s, %s: %d streams reached the handler, %d were admitted", kind, protocol, got, admitted)
			}
		}
	}
	if n := env.Trap.Hits(); n != 0 {
		t.Fatalf("a token made the server fetch %d URLs it named", n)
	}
}
