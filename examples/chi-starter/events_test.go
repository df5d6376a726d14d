package main

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/resourceserver"
)

// streamBound bounds how long a test waits for a stream's end: a failure
// bound, not a timing.
const streamBound = time.Minute

// serveEvents serves the starter as run does, for iss, once its keys are
// in; it returns the server and its URL.
func serveEvents(t *testing.T, iss *authtest.Issuer) (*resourceserver.Server, string) {
	t.Helper()
	srv := newTestServer(t, iss.URL())
	ready, cancel := context.WithTimeout(t.Context(), authtest.ReadyTimeout)
	defer cancel()
	if err := srv.Validator().WaitReady(ready); err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(srv.Handler(routes(srv)))
	t.Cleanup(web.Close)
	return srv, web.URL
}

// openEvents opens /api/events with token and reads its first event.
func openEvents(t *testing.T, base, token string) *bufio.Reader {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), streamBound)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	events := bufio.NewReader(resp.Body)
	line, err := events.ReadString('\n')
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" ||
		!strings.HasPrefix(line, "data: ") {
		t.Fatalf("%d %q, first line %q (%v)", resp.StatusCode, resp.Header.Get("Content-Type"), line, err)
	}
	return events
}

// endEvent reads events up to the "end" event and returns its data; the
// stream must end right after it.
func endEvent(t *testing.T, events *bufio.Reader) string {
	t.Helper()
	for {
		line, err := events.ReadString('\n')
		if err != nil {
			t.Fatalf("the stream ended without its end event: %v", err)
		}
		if line == "event: end\n" {
			data, _ := events.ReadString('\n')
			if rest, err := events.ReadString('\n'); rest != "\n" || err != nil {
				t.Fatalf("after the end event: %q (%v)", rest, err)
			}
			if more, err := events.ReadString('\n'); more != "" || err == nil {
				t.Fatalf("the stream went on after its end event: %q", more)
			}
			return data
		}
	}
}

// The event stream of /api/events ends when its session logs out: the
// provider's back-channel logout reaches the service, and the stream's
// last event says the token was revoked.
func TestEventsEndWhenTheSessionLogsOut(t *testing.T) {
	iss := authtest.Start(t)
	srv, base := serveEvents(t, iss)
	events := openEvents(t, base, iss.Token(t, authtest.Claims{"sid": "session-events"}))

	logout, err := iss.MintLogoutToken(srv.ClientID(), "session-events", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	posted, err := http.PostForm(base+resourceserver.BackChannelPath, url.Values{"logout_token": {logout}})
	if err != nil {
		t.Fatal(err)
	}
	posted.Body.Close()
	if posted.StatusCode != http.StatusOK {
		t.Fatalf("back-channel logout: %d", posted.StatusCode)
	}
	if data := endEvent(t, events); data != "data: the token was revoked during the connection\n" {
		t.Fatalf("end event %q", data)
	}
}

// The event stream of /api/events ends at its token's exp plus the leeway
// (the default, 30s: the token is minted that far in the past), not
// before, and its last event says the token expired.
func TestEventsEndWhenTheTokenExpires(t *testing.T) {
	iss := authtest.Start(t)
	_, base := serveEvents(t, iss)
	exp := time.Now().Add(5*time.Second - core.DefaultLeeway).Truncate(time.Second)
	events := openEvents(t, base, iss.Token(t, authtest.Claims{"exp": exp}))
	if data := endEvent(t, events); data != "data: the token expired during the connection\n" {
		t.Fatalf("end event %q", data)
	}
	if end, expiry := time.Now(), exp.Add(core.DefaultLeeway); end.Before(expiry) {
		t.Fatalf("the stream ended at %v, before exp plus the leeway, %v", end, expiry)
	}
}
