package grpcauth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/grpcauth"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

func newInterceptors(t testing.TB, v core.TokenVerifier, opts ...core.Option) *grpcauth.Interceptors {
	t.Helper()
	auth, err := grpcauth.New(
		v,
		grpcauth.Config{
			Procedures: authcases.RPCProcedures(),
			Options:    append([]core.Option{core.WithRefusalLog(nil, 0)}, opts...),
		},
	)
	if err != nil {
		t.Fatal(err)
	}
	return auth
}

// The attack catalogue through real grpc-go clients, unary and streaming:
// every case the table has an RPC form for gets the code its HTTP answer
// maps to, a message naming the same reason, never the token.
func TestCatalogueThroughGRPC(t *testing.T) {
	env := authcases.NewCatalogueEnv(t)
	auth := newInterceptors(t, env.Validator)
	unary := serve(t, auth, unaryService(), nil)
	streams := serve(t, auth, streamService(), nil)
	cases := authcases.NewTable(t, env, authcases.RPCCases)
	t.Logf("%d cases", cases.Len())
	if cases.Len() < 150 {
		t.Fatalf("only %d cases apply to RPC", cases.Len())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for c := range cases.All() {
		path := c.Path
		if path == "" {
			path = authcases.PathMe
		}
		md := metadata.MD{"authorization": c.Auth}
		sub, err := unary.unary(ctx, path, md)
		checkAnswer(t, "unary: "+c.Name, c, sub, err)
		sub, err = streams.stream(ctx, path, md)
		checkAnswer(t, "stream: "+c.Name, c, sub, err)
	}
	if n := env.Trap.Hits(); n != 0 {
		t.Fatalf("a token made the server fetch %d URLs it named", n)
	}
}

// checkAnswer asserts that a call's answer is the one c expects.
func checkAnswer(t *testing.T, name string, c authcases.Case, sub string, err error) {
	t.Helper()
	st := status.Convert(err)
	if got := codeName(st.Code()); got != c.RPCCode() {
		t.Errorf("%s: %s (%q), want %s", name, st.Code(), st.Message(), c.RPCCode())
		return
	}
	if err == nil {
		if sub == "" {
			t.Errorf("%s: the handler saw no subject", name)
		}
		return
	}
	if !strings.HasPrefix(st.Message(), c.Code) || !strings.Contains(st.Message(), c.Description) {
		t.Errorf("%s: message %q, want one with %q and %q", name, st.Message(), c.Code, c.Description)
	}
	for _, a := range c.Auth {
		if len(a) > 20 && strings.Contains(st.Message(), a[7:]) {
			t.Errorf("%s: the status echoes the token", name)
		}
	}
}

// Public methods pass without a token; a method the rules do not list is
// refused whatever the token, so that a method added later is closed.
func TestPublicAndUnlistedMethods(t *testing.T) {
	env := authcases.NewEnv(t)
	s := serve(t, newInterceptors(t, env.Validator), unaryService(), nil)
	ctx := context.Background()
	resp, err := grpc_health_v1.NewHealthClient(s.conn).Check(ctx, &grpc_health_v1.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
		t.Fatalf("health check without a token: %v, %v", resp, err)
	}
	auth, err := grpcauth.New(env.Validator, grpcauth.Config{Procedures: core.ProcedureRules{
		Public: []string{grpcauth.HealthService},
		Rules:  map[string][]core.Rule{"/api/me": nil},
	}, Options: []core.Option{core.WithRefusalLog(nil, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	s = serve(t, auth, unaryService(), nil)
	admin := metadata.Pairs("authorization", "Bearer "+env.Issuer.MustMint(authtest.Claims{"scope": "admin"}))
	if _, err := s.unary(ctx, "/api/me", admin); err != nil {
		t.Fatalf("listed method: %v", err)
	}
	_, err = s.unary(ctx, "/api/admin", admin)
	if st := status.Convert(err); st.Code() != codes.PermissionDenied ||
		!strings.Contains(st.Message(), "open to no caller") {
		t.Fatalf("unlisted method: %v", err)
	}
}

// A configuration that cannot be right is an error, not a server that
// refuses (or admits) everything.
func TestNewRefusesBadConfig(t *testing.T) {
	env := authcases.NewEnv(t)
	if _, err := grpcauth.New(env.Validator, grpcauth.Config{}); err == nil {
		t.Error("no procedure listed: accepted")
	}
	if _, err := grpcauth.New(
		env.Validator,
		grpcauth.Config{Procedures: core.ProcedureRules{Public: []string{"Check"}}},
	); err == nil {
		t.Error("a name that is no full method: accepted")
	}
	if _, err := grpcauth.New(nil, grpcauth.Config{Procedures: authcases.RPCProcedures()}); err == nil {
		t.Error("no verifier: accepted")
	}
}

// While the keys are not loaded, calls are answered Unavailable with a
// RetryInfo detail; a revoked token is Unauthenticated, saying so.
func TestUnavailableAndRevoked(t *testing.T) {
	iss := authtest.NewIssuer(authcases.IssuerOptions()...)
	token := iss.MustMint(nil)
	url := iss.URL()
	iss.Close() // the keys can never load
	v, err := core.New(
		context.Background(),
		core.Config{Issuer: url, Audience: []string{authcases.Audience}, Logger: authcases.Discard()},
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	s := serve(t, newInterceptors(t, v), unaryService(), nil)
	_, err = s.unary(context.Background(), "/api/me", metadata.Pairs("authorization", "Bearer "+token))
	st := status.Convert(err)
	if st.Code() != codes.Unavailable {
		t.Fatalf("keys not loaded: %v", err)
	}
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if retry == nil || retry.GetRetryDelay().AsDuration() != core.KeysRetryAfterSeconds*time.Second {
		t.Fatalf("RetryInfo %v in %v", retry, st.Details())
	}

	deny := core.NewDenylist(nil)
	env := authcases.NewEnv(t, func(cfg *core.Config) { cfg.Revocation = deny })
	s = serve(t, newInterceptors(t, env.Validator), unaryService(), nil)
	revoked := env.Issuer.MustMint(authtest.Claims{"jti": "t-1"})
	md := metadata.Pairs("authorization", "Bearer "+revoked)
	if _, err := s.unary(context.Background(), "/api/me", md); err != nil {
		t.Fatalf("before revocation: %v", err)
	}
	if err := deny.RevokeToken(env.Issuer.URL(), "t-1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, err = s.unary(context.Background(), "/api/me", md)
	if st := status.Convert(err); st.Code() != codes.Unauthenticated || !strings.Contains(st.Message(), "revoked") {
		t.Fatalf("revoked: %v", err)
	}
}
