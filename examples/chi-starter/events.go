package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/identsphere/identsphere-go/core"
)

// eventInterval is how often events sends an event.
const eventInterval = time.Second

// events streams server-sent events, the time every eventInterval, for as
// long as the caller's token lives: core.Lease ends the stream at the
// token's exp (plus the leeway) or as soon as it is revoked (a logout, on
// any replica sharing the revocations), with a last event, "end", saying
// which. A stream checked only when it opened would outlive both.
func events(w http.ResponseWriter, r *http.Request) {
	ctx, stop := core.Lease(r.Context())
	defer stop()
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the server's write timeout is for requests, not streams
	w.Header().Set("Content-Type", "text/event-stream")
	tick := time.NewTicker(eventInterval)
	defer tick.Stop()
	for {
		now := time.Now().UTC().Format(time.RFC3339)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", now); err != nil || rc.Flush() != nil {
			return // the client went away
		}
		select {
		case <-ctx.Done():
			// The token ended the lease; the client gone or the server
			// stopping is nothing to tell.
			if end, ok := core.LeaseEnd(ctx); ok {
				_, _ = fmt.Fprintf(w, "event: end\ndata: %s\n\n", end.Description)
				_ = rc.Flush()
			}
			return
		case <-tick.C:
		}
	}
}
