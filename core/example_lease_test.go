package core_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/identsphere/identsphere-go/core"
)

// A server-sent events handler that ends the stream when its token expires
// or is revoked (behind stdauth.Middleware, chiauth or ginauth).
func ExampleLease() {
	events := func(w http.ResponseWriter, r *http.Request) {
		ctx, stop := core.Lease(r.Context())
		defer stop()
		w.Header().Set("Content-Type", "text/event-stream")
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				if end, ok := core.LeaseEnd(ctx); ok { // expired or revoked, not the client gone
					fmt.Fprintf(w, "event: end\ndata: %s\n\n", end.Description)
				}
				return
			case t := <-tick.C:
				fmt.Fprintf(w, "data: %s\n\n", t.Format(time.RFC3339))
				http.NewResponseController(w).Flush()
			}
		}
	}
	_ = http.HandlerFunc(events)
}
