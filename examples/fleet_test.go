package examples_test

import (
	"net/http"
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
