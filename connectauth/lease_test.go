package connectauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/connectauth"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// A live bidirectional stream, its handler blocked in Receive, ends with
// Unauthenticated when its token is revoked, over each protocol.
func TestStreamEndsWhenItsTokenIsRevoked(t *testing.T) {
	deny := core.NewDenylist(nil)
	env := authcases.NewEnv(t, func(cfg *core.Config) { cfg.Revocation = deny })
	const procedure = "/api/watch"
	auth, err := connectauth.New(
		env.Validator,
		connectauth.Config{Procedures: core.ProcedureRules{Rules: map[string][]core.Rule{procedure: nil}},
			Options: []core.Option{core.WithRefusalLog(nil, 0)}},
	)
	if err != nil {
		t.Fatal(err)
	}
	h := connect.NewBidiStreamHandler(
		procedure,
		func(ctx context.Context, st *connect.BidiStream[emptypb.Empty, wrapperspb.StringValue]) error {
			for {
				if _, err := st.Receive(); err != nil {
					return err
				}
				c, _ := core.ClaimsFrom(ctx)
				if err := st.Send(wrapperspb.String(c.Subject)); err != nil {
					return err
				}
			}
		},
		auth.StreamLease(),
	)
	mux := http.NewServeMux()
	mux.Handle(procedure, auth.Middleware(h))
	srv := httptest.NewUnstartedServer(mux)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for name, opts := range protocols {
		jti := "stream-" + name
		client := connect.NewClient[emptypb.Empty, wrapperspb.StringValue](srv.Client(), srv.URL+procedure, opts...)
		st := client.CallBidiStream(ctx)
		st.RequestHeader().
			Set("Authorization", "Bearer "+env.Issuer.MustMint(authtest.Claims{"jti": jti, "sub": "watcher"}))
		if err := st.Send(&emptypb.Empty{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, err := st.Receive(); err != nil || got.GetValue() != "watcher" {
			t.Fatalf("%s: the stream did not open: %v, %v", name, got, err)
		}
		if err := deny.RevokeToken(env.Issuer.URL(), jti, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		_, err := st.Receive()
		var ce *connect.Error
		if !errors.As(err, &ce) || ce.Code() != connect.CodeUnauthenticated ||
			!strings.Contains(ce.Message(), "revoked during the connection") {
			t.Errorf("%s: the stream ended with %v", name, err)
		}
		_ = st.CloseRequest()
		_ = st.CloseResponse()
	}
}
