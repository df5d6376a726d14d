package examples_test

import (
	"net/http"
	"net/url"
	"path/filepath"
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
	env := []string{"IDENTSPHERE_CLIENT_ID=" + clientID, "IDENTSPHERE_CLIENT_SECRET=x", "IDENTSPHERE_REDIS_URL=" + redis.URL()}
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
	if ans := fleet[0].send(t, request{method: http.MethodPost, path: "/v1/auth/logout", cookie: session}); ans.status != http.StatusOK {
		t.Fatalf("logout: %d %s", ans.status, ans.body)
	}
	for i, a := range fleet {
		if took, ok := eventually(time.Second-time.Since(start), func() bool { return a.send(t, me).status == http.StatusUnauthorized }); !ok {
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
	env := []string{"IDENTSPHERE_CLIENT_ID=" + clientID, "IDENTSPHERE_CLIENT_SECRET=x", "IDENTSPHERE_REDIS_URL=" + redis.URL()}
	var fleet []*app
	for _, bin := range []string{"chi-starter", "gin-go-starter"} {
		a := startAgainst(t, filepath.Join(binDir, bin), iss.URL(), env...)
		a.waitReady(t)
		fleet = append(fleet, a)
	}
	post := func(a *app, token string) answer {
		return a.send(t, request{method: http.MethodPost, path: "/backchannel-logout", body: url.Values{"logout_token": {token}}.Encode(),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
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
		t.Fatalf("a logout while Redis is down: %d %q %s, want 503 with Retry-After", ans.status, ans.header.Get("Retry-After"), ans.body)
	}
	if ans := fleet[1].send(t, request{path: "/api/me", auth: []string{"Bearer " + session}}); ans.status != http.StatusUnauthorized {
		t.Fatalf("the replica that took the logout, Redis down: %d, want 401 at once", ans.status)
	}
}
