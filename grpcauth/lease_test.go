package grpcauth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/backchannel"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/redistest"
	"github.com/identsphere/identsphere-go/revocation/redisstore"
)

// openStream opens a stream of /api/me with token and completes one
// exchange, so the stream is live and admitted.
func openStream(t *testing.T, ctx context.Context, s *server, token string) grpc.ClientStream {
	t.Helper()
	st, err := s.conn.NewStream(
		outgoing(ctx, metadata.Pairs("authorization", "Bearer "+token)),
		&grpc.StreamDesc{ServerStreams: true, ClientStreams: true},
		authcases.PathMe,
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SendMsg(&emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecvMsg(new(wrapperspb.StringValue)); err != nil {
		t.Fatalf("the stream did not open: %v", err)
	}
	return st
}

// streamEnd waits, the client sending nothing, for the stream to end and
// returns its status (the test's context bounds the wait).
func streamEnd(st grpc.ClientStream) *status.Status {
	err := st.RecvMsg(new(wrapperspb.StringValue))
	if errors.Is(err, io.EOF) {
		return status.New(codes.OK, "")
	}
	return status.Convert(err)
}

// A live stream ends, Unauthenticated, when its token is revoked, saying so.
func TestStreamEndsWhenItsTokenIsRevoked(t *testing.T) {
	deny := core.NewDenylist(nil)
	env := authcases.NewEnv(t, func(cfg *core.Config) { cfg.Revocation = deny })
	s := serve(t, newInterceptors(t, env.Validator), streamService(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := openStream(t, ctx, s, env.Issuer.MustMint(authtest.Claims{"jti": "stream-1"}))
	if err := deny.RevokeToken(env.Issuer.URL(), "stream-1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got := streamEnd(st)
	if got.Code() != codes.Unauthenticated ||
		got.Message() != "invalid_token: the token was revoked during the connection" {
		t.Fatalf("stream ended with %v", got)
	}
}

// A live stream ends, Unauthenticated, at its token's exp plus the leeway,
// not before.
func TestStreamEndsWhenItsTokenExpires(t *testing.T) {
	env := authcases.NewEnv(t, func(cfg *core.Config) { cfg.Leeway = time.Second })
	s := serve(t, newInterceptors(t, env.Validator), streamService(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	exp := time.Now().Add(time.Second).Truncate(time.Second).Add(time.Second)
	st := openStream(t, ctx, s, env.Issuer.MustMint(authtest.Claims{"exp": exp}))
	got := streamEnd(st)
	if got.Code() != codes.Unauthenticated ||
		got.Message() != "invalid_token: the token expired during the connection" {
		t.Fatalf("stream ended with %v", got)
	}
	if now := time.Now(); now.Before(exp.Add(time.Second)) {
		t.Fatalf("ended at %v, before exp %v plus the leeway", now, exp)
	}
}

// A live stream on replica A ends when the session's back-channel logout
// is posted to replica B: the denial reaches A through Redis, and A's
// store tells the stream's lease.
func TestStreamOnOneReplicaEndsOnLogoutAtAnother(t *testing.T) {
	iss := authtest.NewIssuer(authcases.IssuerOptions()...)
	t.Cleanup(iss.Close)
	rdb := redistest.Start(t)
	const clientID = "fleet-client"
	replica := func() (*redisstore.Store, *core.Validator) {
		store, err := redisstore.New(
			context.Background(),
			redisstore.Config{URL: rdb.URL(), Logger: authcases.Discard()},
		)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = store.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := store.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
		return store, authcases.NewValidator(
			t,
			core.Config{
				Issuer:     iss.URL(),
				Audience:   []string{authcases.Audience},
				Logger:     authcases.Discard(),
				Revocation: store,
			},
		)
	}
	_, va := replica()
	storeB, vb := replica()
	a := serve(t, newInterceptors(t, va), streamService(), nil)
	logout, err := backchannel.NewHandler(
		backchannel.Config{Validator: vb, ClientID: clientID, Revoker: storeB, Logger: authcases.Discard()},
	)
	if err != nil {
		t.Fatal(err)
	}
	b := httptest.NewServer(logout)
	t.Cleanup(b.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := openStream(t, ctx, a, iss.MustMint(authtest.Claims{"sid": "session-9"}))
	lt, err := iss.MintLogoutToken(clientID, "session-9", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	posted := time.Now()
	resp, err := http.PostForm(b.URL, url.Values{"logout_token": {lt}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("logout at replica B: %d", resp.StatusCode)
	}
	got := streamEnd(st)
	if got.Code() != codes.Unauthenticated || !strings.Contains(got.Message(), "revoked during the connection") {
		t.Fatalf("stream on replica A ended with %v", got)
	}
	t.Logf("the stream on replica A ended %v after the logout was posted to replica B", time.Since(posted))
}

// floodService is "api" with one server-streaming method, /api/me, whose
// handler sends as fast as the client reads, until sending fails.
func floodService() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: "api",
		HandlerType: (*any)(nil),
		Streams: []grpc.StreamDesc{{StreamName: "me", ServerStreams: true, ClientStreams: true,
			Handler: func(_ any, ss grpc.ServerStream) error {
				if err := ss.RecvMsg(new(emptypb.Empty)); err != nil {
					return err
				}
				for {
					sub, err := subject(ss.Context())
					if err != nil {
						return err
					}
					if err := ss.SendMsg(sub); err != nil {
						return err
					}
				}
			}}},
	}
}

// A stream whose handler is sending when the token is revoked ends with
// Unauthenticated too, and the handler's sends then fail (run with -race:
// its sends and the end of the stream share the transport).
func TestSendingStreamEndsWhenItsTokenIsRevoked(t *testing.T) {
	deny := core.NewDenylist(nil)
	env := authcases.NewEnv(t, func(cfg *core.Config) { cfg.Revocation = deny })
	s := serve(t, newInterceptors(t, env.Validator), floodService(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := openStream(t, ctx, s, env.Issuer.MustMint(authtest.Claims{"jti": "flood"}))
	if err := deny.RevokeToken(env.Issuer.URL(), "flood", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for {
		got := streamEnd(st)
		if got.Code() == codes.OK {
			continue // a message sent before the end
		}
		if got.Code() != codes.Unauthenticated || !strings.Contains(got.Message(), "revoked during the connection") {
			t.Fatalf("stream ended with %v", got)
		}
		return
	}
}
