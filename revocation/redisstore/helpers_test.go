package redisstore_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/backchannel"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/revocation/redisstore"
	"github.com/identsphere/identsphere-go/stdauth"
)

// Routes of a replica.
const (
	pathMe    = "/api/me"    // any valid, unrevoked token
	pathFresh = "/api/fresh" // the same, behind RequireFresh(store)
	// pathLogout receives back-channel logout tokens for logoutClientID.
	pathLogout     = "/backchannel-logout"
	logoutClientID = "fleet-client"
)

// replica is one instance of a service: its own Store, Validator and HTTP
// server on loopback, as a fleet member runs them.
type replica struct {
	name   string
	store  *redisstore.Store
	srv    *httptest.Server
	client *http.Client
}

// newIssuer starts the fake OIDC issuer with the fixture's keys.
func newIssuer(t *testing.T) *authtest.Issuer {
	t.Helper()
	iss := authtest.NewIssuer(authcases.IssuerOptions()...)
	t.Cleanup(iss.Close)
	return iss
}

// newStore builds a Store, closed when the test ends.
func newStore(t testing.TB, cfg redisstore.Config) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("redisstore.New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newReplica starts a replica whose Store uses cfg.
func newReplica(t *testing.T, name string, iss *authtest.Issuer, cfg redisstore.Config) *replica {
	t.Helper()
	store := newStore(t, cfg)
	v := authcases.NewValidator(t, core.Config{
		Issuer: iss.URL(), Audience: []string{authcases.Audience}, Logger: authcases.Discard(),
		Revocation: store,
	})
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux := http.NewServeMux()
	mux.Handle("GET "+pathMe, stdauth.Middleware(v)(ok))
	mux.Handle("GET "+pathFresh, stdauth.Middleware(v)(stdauth.RequireFresh(store)(ok)))
	logout, err := backchannel.NewHandler(
		backchannel.Config{Validator: v, ClientID: logoutClientID, Revoker: store, Logger: authcases.Discard()},
	)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("POST "+pathLogout, logout)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	return &replica{name: name, store: store, srv: srv, client: client}
}

// backChannelLogout posts a back-channel logout token for sid to the
// replica, as the provider does, and requires 200.
func (r *replica) backChannelLogout(t *testing.T, iss *authtest.Issuer, sid string) {
	t.Helper()
	token, err := iss.MintLogoutToken(logoutClientID, sid, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.client.PostForm(r.srv.URL+pathLogout, url.Values{"logout_token": {token}})
	if err != nil {
		t.Fatalf("%s: %v", r.name, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: back-channel logout answered %d", r.name, resp.StatusCode)
	}
}

// status sends GET path with the token over real HTTP and returns the
// status code.
func (r *replica) status(t *testing.T, path, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", r.name, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// wantStatus asserts the answer of every replica to path with token.
func wantStatus(t *testing.T, replicas []*replica, path, token string, want int, what string) {
	t.Helper()
	for _, r := range replicas {
		if got := r.status(t, path, token); got != want {
			t.Fatalf("%s: %s %s answered %d, want %d", what, r.name, path, got, want)
		}
	}
}

// eventually polls cond until it holds, failing the test at the deadline.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(2 * time.Millisecond) // polling, bounded by the deadline
	}
}

// waitSynced waits for every replica's first synchronisation.
func waitSynced(t *testing.T, replicas ...*replica) {
	t.Helper()
	for _, r := range replicas {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := r.store.WaitSynced(ctx)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
	}
}

// logSink collects what Stores log, to check it for secrets; the test
// prints it if it fails.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func newLogSink(t *testing.T) *logSink {
	l := &logSink{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("store logs:\n%s", l.String())
		}
	})
	return l
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logSink) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// clock is a controllable Config.Now: real time plus an offset.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// claims is what the Validator passes to Revoked for a token with these
// identifiers.
func claims(sub, sid, jti string, iat time.Time) *core.Claims {
	return &core.Claims{
		AdmittedBy: testIssuer,
		Subject:    sub,
		SessionID:  sid,
		ID:         jti,
		IssuedAt:   iat,
		ExpiresAt:  time.Now().Add(time.Hour),
	}
}

// isRevoked asks s from memory, failing the test on an error.
func isRevoked(t testing.TB, s *redisstore.Store, c *core.Claims) bool {
	t.Helper()
	r, err := s.Revoked(context.Background(), c)
	if err != nil {
		t.Fatalf("Revoked: %v", err)
	}
	return r
}

// discard is a logger that drops everything.
func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
