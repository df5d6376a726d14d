package connectauth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/connectauth"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// DPoP over Connect is RFC 9449's: the proof in the DPoP header names the
// HTTP method and the public URL of the procedure; a replayed proof, or one
// for another procedure, is refused, over each protocol.
func TestDPoPOverConnect(t *testing.T) {
	env := authcases.NewEnv(t)
	const public = "https://orders.example"
	checker, err := core.NewDPoP(core.DPoPConfig{Mode: core.DPoPAllowed, PublicURL: public})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := connectauth.New(
		env.Validator,
		connectauth.Config{Procedures: authcases.RPCProcedures(), Options: []core.Option{
			core.WithRefusalLog(nil, 0), core.WithDPoP(checker),
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, auth)
	key := authtest.NewDPoPKey(t)
	bound := env.Issuer.MustMint(authtest.BoundTo(key, authtest.Claims{"sub": "dpop-user"}))
	call := func(protocol, proof string) (string, error) {
		client := connect.NewClient[emptypb.Empty, wrapperspb.StringValue](
			s.Client(),
			s.URL+authcases.PathMe,
			protocols[protocol]...)
		req := connect.NewRequest(&emptypb.Empty{})
		req.Header().Set("Authorization", "DPoP "+bound)
		if proof != "" {
			req.Header().Set("DPoP", proof)
		}
		resp, err := client.CallUnary(context.Background(), req)
		if err != nil {
			return "", err
		}
		return resp.Msg.GetValue(), nil
	}
	for protocol := range protocols {
		proof := key.Proof(http.MethodPost, public+authcases.PathMe, bound)
		if sub, err := call(protocol, proof); err != nil || sub != "dpop-user" {
			t.Fatalf("%s: valid proof: %q, %v", protocol, sub, err)
		}
		for what, p := range map[string]string{
			"replayed proof":              proof,
			"proof for another procedure": key.Proof(http.MethodPost, public+authcases.PathAdmin, bound),
			"proof for GET":               key.Proof(http.MethodGet, public+authcases.PathMe, bound),
			"no proof":                    "",
		} {
			_, err := call(protocol, p)
			if connect.CodeOf(err) != connect.CodeUnauthenticated || strings.Contains(err.Error(), bound) {
				t.Errorf("%s: %s: %v", protocol, what, err)
			}
		}
	}
}
