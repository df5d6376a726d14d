package resourceserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/redistest"
	"github.com/identsphere/identsphere-go/resourceserver"
)

// Two replicas sharing Redis: a back-channel logout posted to one is
// enforced by the other, a logout token is taken once across both, and
// readiness and /metrics show the revocation store's state.
func TestReplicasShareRevocationsThroughRedis(t *testing.T) {
	redis := redistest.Start(t)
	iss := newIssuer(t)
	const clientID = "orders-web"
	var replicas []*running
	for range 2 {
		var logs logBuffer
		cfg := production(iss, &logs)
		cfg.RedisURL, cfg.ClientID, cfg.ClientSecret = redis.URL(), clientID, "x"
		r := serve(t, cfg)
		r.waitReady(t)
		if !eventually(10*time.Second, func() bool { s, _, _ := r.readiness(t); return s == http.StatusOK }) {
			t.Fatal("a replica never got ready with Redis up")
		}
		replicas = append(replicas, r)
	}
	_, body, raw := replicas[0].readiness(t)
	if body.Revocations == nil || !body.Revocations.SyncedOnce || strings.Contains(raw, redis.Addr()) {
		t.Errorf("/readyz with Redis: %s", raw)
	}
	if m := replicas[0].get(t, "/metrics", "").body; !strings.Contains(m, "identsphere_revocation_synced_once 1") {
		t.Errorf("/metrics lacks the revocation gauges:\n%.2000s", m)
	}

	token := iss.MustMint(authtest.Claims{"sub": "alice", "sid": "s-1"})
	for i, r := range replicas {
		if ans := r.get(t, "/api/me", token); ans.status != http.StatusOK { // and cached
			t.Fatalf("replica %d before logout: %d %s", i, ans.status, ans.body)
		}
	}
	logout, err := iss.MintLogoutToken(clientID, "s-1", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	post := func(r *running) int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, r.URL()+resourceserver.BackChannelPath,
			strings.NewReader(url.Values{"logout_token": {logout}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r.do(t, req).status
	}
	if got := post(replicas[0]); got != http.StatusOK {
		t.Fatalf("back-channel logout at replica 0: %d", got)
	}
	if got := post(replicas[1]); got != http.StatusBadRequest {
		t.Errorf("the same logout token at replica 1: %d, want 400", got)
	}
	if !eventually(
		5*time.Second,
		func() bool { return replicas[1].get(t, "/api/me", token).status == http.StatusUnauthorized },
	) {
		t.Error("replica 1 still accepts the logged-out session")
	}
}

// A replica that starts while Redis is down is not ready, and says the
// revocations are why, without naming Redis' address; once Redis answers
// it becomes ready.
func TestReadinessWaitsForTheRevocationStore(t *testing.T) {
	redis := redistest.Start(t)
	redis.Stop()
	iss := newIssuer(t)
	var logs logBuffer
	cfg := production(iss, &logs)
	cfg.RedisURL = redis.URL()
	r := serve(t, cfg)
	r.waitReady(t)
	status, body, raw := r.readiness(t)
	notReady := strings.Join(body.NotReady, ",")
	if status != http.StatusServiceUnavailable || notReady != resourceserver.ComponentRevocations ||
		body.Status != "revocations not synced" || body.Revocations == nil ||
		body.Revocations.SyncedOnce {
		t.Errorf("/readyz with Redis down: %d %s", status, raw)
	}
	if strings.Contains(raw, redis.Addr()) || strings.Contains(raw, "127.0.0.1") {
		t.Errorf("/readyz names Redis' address: %s", raw)
	}
	redis.Restart()
	if !eventually(20*time.Second, func() bool { s, _, _ := r.readiness(t); return s == http.StatusOK }) {
		_, _, raw := r.readiness(t)
		t.Errorf("not ready 20s after Redis came back: %s", raw)
	}
}
