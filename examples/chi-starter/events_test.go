package main

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/resourceserver"
)

// The event stream of /api/events ends when its session logs out: the
// provider's back-channel logout reaches the service, and the stream's
// last event says the token was revoked.
func TestEventsEndWhenTheSessionLogsOut(t *testing.T) {
	iss := authtest.Start(t)
	srv := newTestServer(t, iss.URL())
	ready, cancel := context.WithTimeout(t.Context(), authtest.ReadyTimeout)
	defer cancel()
	if err := srv.Validator().WaitReady(ready); err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(srv.Handler(routes(srv)))
	t.Cleanup(web.Close)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, web.URL+"/api/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+iss.Token(t, authtest.Claims{"sid": "session-events"}))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := bufio.NewReader(resp.Body)
	line, err := events.ReadString('\n')
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" ||
		!strings.HasPrefix(line, "data: ") {
		t.Fatalf("%d %q, first line %q (%v)", resp.StatusCode, resp.Header.Get("Content-Type"), line, err)
	}

	logout, err := iss.MintLogoutToken(srv.ClientID(), "session-events", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	posted, err := http.PostForm(web.URL+resourceserver.BackChannelPath, url.Values{"logout_token": {logout}})
	if err != nil {
		t.Fatal(err)
	}
	posted.Body.Close()
	if posted.StatusCode != http.StatusOK {
		t.Fatalf("back-channel logout: %d", posted.StatusCode)
	}
	for {
		line, err := events.ReadString('\n')
		if err != nil {
			t.Fatalf("the stream ended without its end event: %v", err)
		}
		if line == "event: end\n" {
			if data, _ := events.ReadString('\n'); data != "data: the token was revoked during the connection\n" {
				t.Fatalf("end event %q", data)
			}
			return
		}
	}
}
