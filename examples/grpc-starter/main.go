// Command grpc-starter is a gRPC service whose methods accept only
// IdentSphere access tokens, checked locally on every call (package
// grpcauth): grpc-go's health service, public, and a small service of its
// own, starter.v1.Greeter, whose Hello answers the caller and whose Ticks
// stream runs until the caller's token expires or is revoked.
//
// It reads IDENTSPHERE_URL (the issuer), IDENTSPHERE_AUDIENCE (this API's
// audience) and GRPC_ADDR (default 127.0.0.1:50051). With IDENTSPHERE_URL
// unset it runs in dev mode: an embedded development issuer on loopback,
// and a banner with a ready token and the command that calls the service
// with it:
//
//	go run ./examples/grpc-starter
//	go run ./examples/grpc-starter call -addr 127.0.0.1:50051 -token <token> Hello
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	var err error
	if len(os.Args) > 1 && os.Args[1] == "call" {
		err = call(ctx, os.Args[2:], os.Stdout)
	} else {
		err = run(ctx, logger, os.LookupEnv, os.Stdout, nil)
	}
	stop()
	if err != nil {
		logger.Error("grpc-starter failed", "error", err)
		os.Exit(1)
	}
}

// usage is printed for a bad command line.
const usage = "usage: grpc-starter [call -addr host:port -token TOKEN Hello|Ticks]"

// errUsage is a bad command line.
var errUsage = fmt.Errorf("%s", usage)
