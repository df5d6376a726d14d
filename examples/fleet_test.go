package examples_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/redistest"
)

// Replicas of both starters share revocations through Redis: a
// back-channel logout that reaches one of them is enforced by all within a
// second, cached tokens included.
func TestFleetSharesBackChannelLogoutThroughRedis(t *testing.T) {
	redis := redistest.Start(t)
	iss := newIssuer(t)
	const clientID = "orders-web"
	env := []string{
		"IDENTSPHERE_CLIENT_ID=" + clientID,
		"IDENTSPHERE_CLIENT_SECRET=x",
		"IDENTSPHERE_REDIS_URL=" + redis.URL(),
	}
	var fleet []*app
	for _, bin := range []string{"chi-starter", "gin-go-starter", "chi-starter"} {
		a := startAgainst(t, filepath.Join(binDir, bin), iss.URL(), env...)
		a.waitReady(t)
		fleet = append(fleet, a)
	}
	iss.RegisterBackChannelLogout(fleet[1].url+"/backchannel-logout", clientID)

	session := iss.MustMint(with(authtest.Claims{"sid": "s-fleet"}))
	me := request{path: "/api/me", auth: []string{"Bearer " + session}}
	for _, a := range fleet {
		if ans := a.send(t, me); ans.status != http.StatusOK { // and cached
			t.Fatalf("before logout: %d %s", ans.status, ans.body)
		}
	}
	start := time.Now()
	if ans := fleet[0].send(
		t,
		request{method: http.MethodPost, path: "/v1/auth/logout", cookie: session},
	); ans.status != http.StatusOK {
		t.Fatalf("logout: %d %s", ans.status, ans.body)
	}
	for i, a := range fleet {
		if took, ok := eventually(
			time.Second-time.Since(start),
			func() bool { return a.send(t, me).status == http.StatusUnauthorized },
		); !ok {
			t.Fatalf("replica %d still accepts the logged-out session after %v", i, took)
		}
	}
	t.Logf("logout enforced by all %d replicas %v after it was posted", len(fleet), time.Since(start))
}

// The starters' back-channel receivers share one replay record through
// Redis: a logout token taken by one replica is refused (400) by another.
// While Redis is down, a logout is refused on the replica that took it at
// once but answered 503 with Retry-After, so the provider posts it again.
func TestFleetBackChannelLogoutIsUsedOnceAndAcknowledgedOnlyWhenDurable(t *testing.T) {
	redis := redistest.Start(t)
	iss := newIssuer(t)
	const clientID = "orders-web"
	env := []string{
		"IDENTSPHERE_CLIENT_ID=" + clientID,
		"IDENTSPHERE_CLIENT_SECRET=x",
		"IDENTSPHERE_REDIS_URL=" + redis.URL(),
	}
	var fleet []*app
	for _, bin := range []string{"chi-starter", "gin-go-starter"} {
		a := startAgainst(t, filepath.Join(binDir, bin), iss.URL(), env...)
		a.waitReady(t)
		fleet = append(fleet, a)
	}
	post := func(a *app, token string) answer {
		return a.send(
			t,
			request{
				method: http.MethodPost,
				path:   "/backchannel-logout",
				body:   url.Values{"logout_token": {token}}.Encode(),
				header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			},
		)
	}

	logout := mustLogoutToken(t, iss, clientID, "s-once")
	if ans := post(fleet[0], logout); ans.status != http.StatusOK {
		t.Fatalf("first use at the chi starter: %d %s", ans.status, ans.body)
	}
	if ans := post(fleet[1], logout); ans.status != http.StatusBadRequest {
		t.Fatalf("the same logout token at the gin starter: %d %s, want 400", ans.status, ans.body)
	}

	session := iss.MustMint(with(authtest.Claims{"sid": "s-outage"}))
	redis.Stop()
	ans := post(fleet[1], mustLogoutToken(t, iss, clientID, "s-outage"))
	if ans.status != http.StatusServiceUnavailable || ans.header.Get("Retry-After") == "" {
		t.Fatalf(
			"a logout while Redis is down: %d %q %s, want 503 with Retry-After",
			ans.status,
			ans.header.Get("Retry-After"),
			ans.body,
		)
	}
	if ans := fleet[1].send(
		t,
		request{path: "/api/me", auth: []string{"Bearer " + session}},
	); ans.status != http.StatusUnauthorized {
		t.Fatalf("the replica that took the logout, Redis down: %d, want 401 at once", ans.status)
	}
}

// A starter with IDENTSPHERE_REDIS_URL is not ready ("revocations not
// synced") until its revocation store has read every denial once; a later
// Redis outage keeps it ready but shows: /readyz's body, the gauges on
// /metrics, and a warning in the log.
func TestStarterReadyOnlyOnceRevocationsSynced(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		redis := redistest.Start(t)
		redis.Stop() // down when the starter starts
		iss := newIssuer(t)
		a := startAgainst(t, bin, iss.URL(), "IDENTSPHERE_REDIS_URL="+redis.URL())

		var body struct {
			Status      string
			Ready       bool
			Revocations *struct {
				Synced             bool     `json:"synced"`
				SyncedOnce         bool     `json:"synced_once"`
				LastSyncAgeSeconds *float64 `json:"last_sync_age_seconds"`
			}
		}
		readyz := func() int {
			ans := a.send(t, request{path: "/readyz"})
			body.Revocations = nil
			if err := json.Unmarshal(ans.body, &body); err != nil {
				t.Fatalf("/readyz %d %s: %v", ans.status, ans.body, err)
			}
			return ans.status
		}
		gauge := func(name string) float64 {
			t.Helper()
			v, ok := sample(a.metricsAt(t, a.url+"/metrics"), "identsphere_revocation_"+name, nil)
			if !ok {
				t.Fatalf("no identsphere_revocation_%s on /metrics", name)
			}
			return v
		}

		// Keys load, Redis is down: not ready, and why.
		if _, ok := eventually(
			10*time.Second,
			func() bool { readyz(); return body.Status == "revocations not synced" },
		); !ok {
			t.Fatalf("/readyz with the keys loaded and Redis down: %+v, want status \"revocations not synced\"", body)
		}
		if code := readyz(); code != http.StatusServiceUnavailable || body.Ready || body.Revocations == nil ||
			body.Revocations.SyncedOnce {
			t.Fatalf("/readyz before the first sync: %d %+v, want 503, not ready", code, body)
		}
		if gauge("synced_once") != 0 || gauge("synced") != 0 || gauge("last_sync_age_seconds") != -1 {
			t.Fatal("gauges before the first sync: want synced_once 0, synced 0, last_sync_age_seconds -1")
		}

		redis.Restart()
		a.waitReady(t)
		if code := readyz(); code != http.StatusOK || !body.Ready || !body.Revocations.Synced ||
			!body.Revocations.SyncedOnce {
			t.Fatalf("/readyz once synced: %d %+v", code, body)
		}
		if gauge("synced") != 1 || gauge("synced_once") != 1 || gauge("pending_writes") != 0 {
			t.Fatal("gauges once synced: want synced 1, synced_once 1, pending_writes 0")
		}

		// Redis goes away again: still ready, and it shows.
		redis.Stop()
		if _, ok := eventually(10*time.Second, func() bool { return gauge("synced") == 0 }); !ok {
			t.Fatal("synced gauge still 1 with Redis down")
		}
		if code := readyz(); code != http.StatusOK || !body.Ready || body.Revocations.Synced ||
			body.Revocations.LastSyncAgeSeconds == nil {
			t.Fatalf(
				"/readyz with Redis lost after the first sync: %d %+v, want 200, ready, not synced, with an age",
				code,
				body,
			)
		}
		if rec := a.logRecord(
			t,
			"redisstore: lost Redis: the revocations known so far stay in "+
				"force; new ones from other replicas wait until it is back",
		); rec["level"] != "WARN" {
			t.Fatalf("lost Redis logged as %v, want WARN", rec["level"])
		}
		if strings.Contains(string(a.send(t, request{path: "/readyz"}).body), redis.Addr()) {
			t.Fatal("/readyz names Redis' address")
		}
	})
}
