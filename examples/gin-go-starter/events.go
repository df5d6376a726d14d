package main

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/identsphere/identsphere-go/core"
)

// eventInterval is how often events sends an event.
const eventInterval = time.Second

// events streams server-sent events, the time every eventInterval, for as
// long as the caller's token lives: core.Lease ends the stream at the
// token's exp (plus the leeway) or as soon as it is revoked (a logout, on
// any replica sharing the revocations), with a last event, "end", saying
// which. A stream checked only when it opened would outlive both.
//
// It waits on the lease itself rather than in a c.Stream step: the lease,
// a copy of the request's context, ends when the client goes away as well.
func events(c *gin.Context) {
	ctx, stop := core.Lease(c.Request.Context())
	defer stop()
	// The server's write timeout is for requests, not streams.
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Time{})
	tick := time.NewTicker(eventInterval)
	defer tick.Stop()
	for {
		c.SSEvent("", time.Now().UTC().Format(time.RFC3339)) // unnamed: a "message" event
		c.Writer.Flush()
		select {
		case <-ctx.Done():
			// The token ended the lease; the client gone or the server
			// stopping is nothing to tell.
			if end, ok := core.LeaseEnd(ctx); ok {
				c.SSEvent("end", end.Description)
				c.Writer.Flush()
			}
			return
		case <-tick.C:
		}
	}
}
