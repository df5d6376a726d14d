package connectauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/connectauth"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// protocols are the three a connect-go client speaks.
var protocols = map[string][]connect.ClientOption{
	"connect":  nil,
	"grpc":     {connect.WithGRPC()},
	"grpc-web": {connect.WithGRPCWeb()},
}

// server serves the table's procedures (/api/me, /api/admin,
// /api/verified) as Connect unary handlers behind auth, over HTTP/2 with
// TLS on loopback; each answers the subject of the claims it sees. reached
// counts the requests that got past auth.
type server struct {
	*httptest.Server
	reached atomic.Int64
}

func serve(t testing.TB, auth *connectauth.Auth) *server {
	t.Helper()
	return serveUnary(t, auth.Middleware)
}

// serveUnary serves the table's procedures as unary handlers behind
// middleware.
func serveUnary(t testing.TB, middleware func(http.Handler) http.Handler) *server {
	t.Helper()
	return serveHandlers(t, middleware, func(path string) http.Handler {
		return connect.NewUnaryHandler(
			path,
			func(
				ctx context.Context, _ *connect.Request[emptypb.Empty],
			) (*connect.Response[wrapperspb.StringValue], error) {
				sub, err := subject(ctx)
				return connect.NewResponse(wrapperspb.String(sub)), err
			},
		)
	})
}

// subject is the subject of the claims a handler sees in ctx.
func subject(ctx context.Context) (string, error) {
	c, ok := core.ClaimsFrom(ctx)
	if !ok {
		return "", connect.NewError(connect.CodeInternal, errors.New("the handler saw no claims"))
	}
	return c.Subject, nil
}

// serveHandlers serves the handler made for each of the table's procedures
// behind auth's middleware, as serve does.
func serveHandlers(
	t testing.TB,
	middleware func(http.Handler) http.Handler,
	handler func(path string) http.Handler,
) *server {
	t.Helper()
	s := &server{}
	mux := http.NewServeMux()
	for _, path := range []string{authcases.PathMe, authcases.PathAdmin, authcases.PathVerified} {
		h := handler(path)
		mux.Handle(path, middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.reached.Add(1)
			h.ServeHTTP(w, r)
		})))
	}
	s.Server = httptest.NewUnstartedServer(mux)
	s.EnableHTTP2 = true
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// call calls procedure over protocol with the Authorization values auth.
func (s *server) call(ctx context.Context, protocol, procedure string, auth ...string) (string, error) {
	client := connect.NewClient[emptypb.Empty, wrapperspb.StringValue](
		s.Client(),
		s.URL+procedure,
		protocols[protocol]...)
	req := connect.NewRequest(&emptypb.Empty{})
	for _, a := range auth {
		req.Header().Add("Authorization", a)
	}
	resp, err := client.CallUnary(ctx, req)
	if err != nil {
		return "", err
	}
	return resp.Msg.GetValue(), nil
}

func newAuth(t testing.TB, v core.TokenVerifier, opts ...core.Option) *connectauth.Auth {
	t.Helper()
	auth, err := connectauth.New(
		v,
		connectauth.Config{
			Procedures: authcases.RPCProcedures(),
			Options:    append([]core.Option{core.WithRefusalLog(nil, 0)}, opts...),
		},
	)
	if err != nil {
		t.Fatal(err)
	}
	return auth
}

// codeName is a code as authcases names it: "permission_denied".
func codeName(err error) string {
	if err == nil {
		return "ok"
	}
	return strings.ReplaceAll(connect.CodeOf(err).String(), " ", "_")
}

// The attack catalogue through real connect-go clients over the Connect,
// gRPC and gRPC-Web protocols: every case with an RPC form gets the code
// its HTTP answer maps to, a message naming the same reason, never the
// token; a refused request never reaches the handler.
func TestCatalogueThroughConnect(t *testing.T) {
	env := authcases.NewCatalogueEnv(t)
	s := serve(t, newAuth(t, env.Validator))
	cases := authcases.NewTable(t, env, authcases.RPCCases)
	if cases.Len() < 150 {
		t.Fatalf("only %d cases apply to RPC", cases.Len())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for protocol := range protocols {
		admitted := 0
		before := s.reached.Load()
		for c := range cases.All() {
			path := c.Path
			if path == "" {
				path = authcases.PathMe
			}
			sub, err := s.call(ctx, protocol, path, c.Auth...)
			if checkAnswer(t, protocol+": "+c.Name, c, sub, err) {
				admitted++
			}
		}
		if got := s.reached.Load() - before; got != int64(admitted) {
			t.Errorf("%s: %d requests reached the handler, %d were admitted", protocol, got, admitted)
		}
	}
	if n := env.Trap.Hits(); n != 0 {
		t.Fatalf("a token made the server fetch %d URLs it named", n)
	}
}

// checkAnswer asserts that a call's answer is the one c expects: its code,
// a message naming the same reason as the HTTP answer, never the token,
// and, when admitted, the subject the handler saw. It reports whether the
// call was admitted.
func checkAnswer(t *testing.T, name string, c authcases.Case, sub string, err error) bool {
	t.Helper()
	if got := codeName(err); got != c.RPCCode() {
		t.Errorf("%s: %s (%v), want %s", name, got, err, c.RPCCode())
		return err == nil
	}
	if err == nil {
		if sub == "" {
			t.Errorf("%s: the handler saw no subject", name)
		}
		return true
	}
	if !strings.Contains(err.Error(), c.Code) || !strings.Contains(err.Error(), c.Description) {
		t.Errorf("%s: message %q, want one with %q and %q", name, err.Error(), c.Code, c.Description)
	}
	for _, a := range c.Auth {
		if len(a) > 20 && strings.Contains(err.Error(), a[7:]) {
			t.Errorf("%s: the error echoes the token", name)
		}
	}
	return false
}

// While the keys are not loaded, every protocol answers Unavailable with a
// RetryInfo detail; a procedure the rules do not list is PermissionDenied.
func TestUnavailableAndUnlisted(t *testing.T) {
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
	s := serve(t, newAuth(t, v))
	for protocol := range protocols {
		_, err := s.call(context.Background(), protocol, authcases.PathMe, "Bearer "+token)
		var ce *connect.Error
		if !errors.As(err, &ce) || ce.Code() != connect.CodeUnavailable {
			t.Fatalf("%s: %v, want unavailable", protocol, err)
		}
		var retry *errdetails.RetryInfo
		for _, d := range ce.Details() {
			if m, err := d.Value(); err == nil {
				if r, ok := m.(*errdetails.RetryInfo); ok {
					retry = r
				}
			}
		}
		if retry == nil || retry.GetRetryDelay().AsDuration() != core.KeysRetryAfterSeconds*time.Second {
			t.Errorf("%s: RetryInfo %v", protocol, retry)
		}
	}

	env := authcases.NewEnv(t)
	auth, err := connectauth.New(
		env.Validator,
		connectauth.Config{Procedures: core.ProcedureRules{Rules: map[string][]core.Rule{authcases.PathMe: nil}},
			Options: []core.Option{core.WithRefusalLog(nil, 0)}},
	)
	if err != nil {
		t.Fatal(err)
	}
	s = serve(t, auth)
	admin := "Bearer " + env.Issuer.MustMint(authtest.Claims{"scope": "admin"})
	for protocol := range protocols {
		if _, err := s.call(context.Background(), protocol, authcases.PathMe, admin); err != nil {
			t.Errorf("%s: listed procedure: %v", protocol, err)
		}
		_, err := s.call(context.Background(), protocol, authcases.PathAdmin, admin)
		if connect.CodeOf(err) != connect.CodePermissionDenied || !strings.Contains(err.Error(), "open to no caller") {
			t.Errorf("%s: unlisted procedure: %v", protocol, err)
		}
	}
	if _, err := connectauth.New(env.Validator, connectauth.Config{}); err == nil {
		t.Error("no procedure listed: accepted")
	}
}

// A request in no RPC protocol gets the HTTP answer.
func TestPlainHTTPGetsTheHTTPAnswer(t *testing.T) {
	env := authcases.NewEnv(t)
	s := serve(t, newAuth(t, env.Validator))
	resp, err := s.Client().Post(s.URL+authcases.PathMe, "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != authcases.ChallengeMissing {
		t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}
