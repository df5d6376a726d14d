package connectauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/connectauth"
	"github.com/identsphere/identsphere-go/core"
)

// Protect Connect handlers, and call them with real tokens from authtest
// over loopback. The setup is the README's section "Connect".
func Example() {
	iss := authtest.NewIssuer() // in production: your issuer's URL
	defer iss.Close()
	v, err := core.New(context.Background(), core.Config{Issuer: iss.URL(), Audience: []string{iss.Audience()}})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	_ = v.WaitReady(context.Background())
	mux, orders := http.NewServeMux(), ordersHandler()

	auth, err := connectauth.New(v, connectauth.Config{Procedures: core.ProcedureRules{
		Rules: map[string][]core.Rule{
			"/shop.Orders/*":      nil,                                  // any valid token
			"/shop.Orders/Cancel": {core.RequireScopes("orders:write")}, // and a scope
		},
	}})
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("/shop.Orders/", auth.Middleware(orders)) // shopv1connect.NewOrdersHandler's path and handler

	srv := httptest.NewServer(mux)
	defer srv.Close()
	token := iss.MustMint(authtest.Claims{"scope": "orders:read"})
	for _, procedure := range []string{"/shop.Orders/List", "/shop.Orders/Cancel"} {
		client := connect.NewClient[emptypb.Empty, wrapperspb.StringValue](srv.Client(), srv.URL+procedure)
		req := connect.NewRequest(&emptypb.Empty{})
		req.Header().Set("Authorization", "Bearer "+token)
		resp, err := client.CallUnary(context.Background(), req)
		if ce := (*connect.Error)(nil); errors.As(err, &ce) {
			fmt.Println(procedure, ce.Code(), ce.Message())
			continue
		}
		fmt.Println(procedure, resp.Msg.GetValue())
	}
	// Output:
	// /shop.Orders/List user-1
	// /shop.Orders/Cancel permission_denied insufficient_scope: the token lacks a required scope
}

// ordersHandler serves shop.Orders, whose procedures answer the caller's
// subject: a generated handler in a real program.
func ordersHandler() http.Handler {
	mux := http.NewServeMux()
	for _, m := range []string{"List", "Cancel"} {
		procedure := "/shop.Orders/" + m
		mux.Handle(
			procedure,
			connect.NewUnaryHandler(
				procedure,
				func(
					ctx context.Context, _ *connect.Request[emptypb.Empty],
				) (*connect.Response[wrapperspb.StringValue], error) {
					c, _ := core.ClaimsFrom(ctx)
					return connect.NewResponse(wrapperspb.String(c.Subject)), nil
				},
			),
		)
	}
	return mux
}
