// Command buildhydra builds the ORY Hydra binary that the interop tests run
// (hydra.Binary) and prints its path. CI starts it in the background at the
// beginning of a run, so that the build, a few minutes of CPU and mostly
// one long C compile (SQLite), overlaps the root module's steps; the tests
// then find the binary built. An interrupt or SIGTERM stops the build.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/identsphere/identsphere-go/interop/internal/hydra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bin, err := hydra.Binary(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(bin)
}
