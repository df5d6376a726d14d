package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/grpcauth"
)

// defaultAddr is where the service listens without GRPC_ADDR: loopback,
// so that dev mode is never reachable from the network.
const defaultAddr = "127.0.0.1:50051"

// shutdownGrace bounds the graceful stop: live streams get this long to
// end before the server stops them.
const shutdownGrace = 10 * time.Second

// run is the whole service with its dependencies passed in: it serves
// until ctx ends, then stops gracefully and returns nil. listening, if
// not nil, is told the address once the service accepts calls.
func run(
	ctx context.Context,
	logger *slog.Logger,
	lookupEnv func(string) (string, bool),
	stdout io.Writer,
	listening func(addr string),
) error {
	issuer, _ := lookupEnv("IDENTSPHERE_URL")
	audience, _ := lookupEnv("IDENTSPHERE_AUDIENCE")
	addr, _ := lookupEnv("GRPC_ADDR")
	addr = cmp.Or(addr, defaultAddr)
	var dev *authtest.Issuer
	switch {
	case issuer == "":
		dev = authtest.NewIssuer(
			authtest.WithAudience(cmp.Or(audience, authtest.DefaultAudience)),
			authtest.WithLoopbackHostsOnly(),
		)
		defer dev.Close()
		issuer, audience = dev.URL(), dev.Audience()
	case audience == "":
		return errors.New(
			"IDENTSPHERE_AUDIENCE is required with IDENTSPHERE_URL: the audience tokens for this API carry",
		)
	}

	v, err := core.New(ctx, core.Config{Issuer: issuer, Audience: []string{audience}, Logger: logger})
	if err != nil {
		return err
	}
	defer v.Close()
	auth, err := grpcauth.New(v, grpcauth.Config{Procedures: core.ProcedureRules{
		Public: []string{grpcauth.HealthService},
		Rules: map[string][]core.Rule{
			methodHello: nil,                          // any valid token
			methodTicks: {core.RequireScopes("read")}, // a stream, for tokens with scope read
		},
	}})
	if err != nil {
		return err
	}

	srv := grpc.NewServer(
		grpc.UnaryInterceptor(auth.UnaryServerInterceptor()),
		grpc.StreamInterceptor(auth.StreamServerInterceptor()),
	)
	grpc_health_v1.RegisterHealthServer(srv, health.NewServer())
	srv.RegisterService(greeterService(time.Second), struct{}{})
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	logger.Info(
		"grpc-starter listening",
		"addr",
		lis.Addr().String(),
		"issuer",
		issuer,
		"audience",
		audience,
		"dev_mode",
		dev != nil,
	)
	if dev != nil {
		if err := banner(ctx, stdout, dev, v, lis.Addr().String()); err != nil {
			srv.Stop()
			return err
		}
	}
	if listening != nil {
		listening(lis.Addr().String())
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	force := time.AfterFunc(shutdownGrace, srv.Stop)
	defer force.Stop()
	srv.GracefulStop()
	return <-served
}

// banner prints, once the dev issuer's keys are loaded, a token and the
// command that calls the service with it.
func banner(ctx context.Context, w io.Writer, dev *authtest.Issuer, v *core.Validator, addr string) error {
	ready, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := v.WaitReady(ready); err != nil {
		return err
	}
	token, err := dev.Mint(authtest.Claims{"scope": "read"})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, `
grpc-starter in dev mode: tokens from the development issuer at %s
  gRPC:  %s (health: public; starter.v1.Greeter: a token)
  token: %s
  call:  go run ./examples/grpc-starter call -addr %s -token %s Hello
  or a stream that ends with the token: ... Ticks

`, dev.URL(), addr, token, addr, token)
	return err
}
