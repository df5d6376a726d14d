package resourceserver_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/gin-contrib/sse"
	"github.com/gin-gonic/gin"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/resourceserver"
)

// A router's own streaming API works behind Handler, whose access log
// wraps the ResponseWriter: gin's c.Stream asserts http.CloseNotifier and
// http.Flusher on the writer underneath without checking, so a wrapper
// that forwards either not panics the handler mid-answer.
func TestHandlerServesGinStreams(t *testing.T) {
	iss := authtest.Start(t)
	srv, err := resourceserver.New(t.Context(), production(iss, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	r := gin.New()
	r.GET("/stream", func(c *gin.Context) {
		n := 0
		c.Stream(func(io.Writer) bool {
			n++
			c.SSEvent("count", strconv.Itoa(n))
			return n < 3
		})
	})
	web := httptest.NewServer(srv.Handler(r))
	t.Cleanup(web.Close)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, web.URL+"/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events, err := sse.Decode(resp.Body)
	if resp.StatusCode != http.StatusOK || err != nil || len(events) != 3 {
		t.Fatalf("%d, events %+v (%v), want 3", resp.StatusCode, events, err)
	}
	for i, e := range events {
		if e.Event != "count" || e.Data != strconv.Itoa(i+1) {
			t.Errorf("event %d: %+v", i, e)
		}
	}
}
