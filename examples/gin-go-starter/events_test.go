package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gin-contrib/sse"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/resourceserver"
)

// eventsApp is the starter as run serves it, for a fresh issuer whose
// keys are in.
type eventsApp struct {
	iss *authtest.Issuer
	srv *resourceserver.Server
	url string
}

func newEventsApp(t *testing.T) eventsApp {
	t.Helper()
	iss := authtest.Start(t)
	srv := newTestServer(t, iss.URL())
	ready, cancel := context.WithTimeout(t.Context(), authtest.ReadyTimeout)
	defer cancel()
	if err := srv.Validator().WaitReady(ready); err != nil {
		t.Fatal(err)
	}
	app, err := routes(srv)
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(srv.Handler(app))
	t.Cleanup(web.Close)
	return eventsApp{iss: iss, srv: srv, url: web.URL}
}

// open opens /api/events with token. Its headers come with the first
// event, so the stream is under way once open returns.
func (a eventsApp) open(t *testing.T, token string) *http.Response {
	t.Helper()
	// A failure bound, not a timing: the stream ends long before.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.url+"/api/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != sse.ContentType {
		t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return resp
}

// endsWith decodes the whole stream, to its end, and checks that it is
// the time at least once, then "end" with want as its data.
func endsWith(t *testing.T, resp *http.Response, want string) {
	t.Helper()
	events, err := sse.Decode(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) < 2 {
		t.Fatalf("events %+v, want the time then the end", events)
	}
	for _, e := range events[:len(events)-1] {
		data, _ := e.Data.(string)
		if _, err := time.Parse(time.RFC3339, data); e.Event != "message" || err != nil {
			t.Errorf("event %+v, want the time (%v)", e, err)
		}
	}
	if last := events[len(events)-1]; last.Event != "end" || last.Data != want {
		t.Fatalf("last event %+v, want end: %s", last, want)
	}
}

// The event stream of /api/events ends when its session logs out: the
// provider's back-channel logout reaches the service, and the stream's
// last event says the token was revoked.
func TestEventsEndWhenTheSessionLogsOut(t *testing.T) {
	a := newEventsApp(t)
	resp := a.open(t, a.iss.Token(t, authtest.Claims{"sid": "session-events"}))

	logout, err := a.iss.MintLogoutToken(a.srv.ClientID(), "session-events", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	posted, err := http.PostForm(a.url+resourceserver.BackChannelPath, url.Values{"logout_token": {logout}})
	if err != nil {
		t.Fatal(err)
	}
	posted.Body.Close()
	if posted.StatusCode != http.StatusOK {
		t.Fatalf("back-channel logout: %d", posted.StatusCode)
	}
	endsWith(t, resp, "the token was revoked during the connection")
}

// The event stream of /api/events ends at its token's exp plus the leeway
// (the default, 30s: the token is minted that far in the past), not
// before, and its last event says the token expired.
func TestEventsEndWhenTheTokenExpires(t *testing.T) {
	a := newEventsApp(t)
	exp := time.Now().Add(5*time.Second - core.DefaultLeeway).Truncate(time.Second)
	endsWith(t, a.open(t, a.iss.Token(t, authtest.Claims{"exp": exp})), "the token expired during the connection")
	if end, expiry := time.Now(), exp.Add(core.DefaultLeeway); end.Before(expiry) {
		t.Fatalf("the stream ended at %v, before exp plus the leeway, %v", end, expiry)
	}
}
