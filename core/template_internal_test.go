package core

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// A key source made to give up (a template's issuer) stops for good after
// its first load fails: no step is left to run, none can be scheduled, so
// the provider never hears from it again.
func TestFailedFirstLoadLeavesNothingRunning(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg, err := Config{
		Issuer:   srv.URL + "/gone",
		Audience: []string{"x"},
		Logger:   slog.New(slog.DiscardHandler),
	}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	failed := make(chan error, 1)
	s := newKeySource(context.Background(), cfg, nil, loadHooks{failed: func(err error) { failed <- err }})
	select {
	case err := <-failed:
		if err == nil {
			t.Fatal("failed with a nil error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first load neither failed nor ended within 10s")
	}
	stopped := make(chan struct{})
	go func() { s.wg.Wait(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("a step is still scheduled or running after the failed first load")
	}
	if !s.isClosed.Load() || s.usable() {
		t.Fatal("the key source is not stopped")
	}
	s.schedule(0, func() { t.Error("a step ran after the key source stopped") })
	s.close() // waits for anything scheduled; says nothing more
	if n := requests.Load(); n < 1 || n > 2 {
		t.Fatalf("%d requests, want 1 or 2 (discovery, then the default JWKS URL)", n)
	}
}
