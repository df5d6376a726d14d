package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/redistest"
	"github.com/identsphere/identsphere-go/revocation/redisstore"
)

// fleetConfig is a replica's Config in the fleet tests: quick to notice a
// lost Redis.
func fleetConfig(r *redistest.Server, logs *logSink) redisstore.Config {
	return redisstore.Config{
		URL: r.URL(), Logger: logs.logger(),
		Timeout: 500 * time.Millisecond, HealthInterval: 100 * time.Millisecond,
	}
}

func startFleet(t *testing.T, r *redistest.Server, iss *authtest.Issuer, logs *logSink, n int) []*replica {
	t.Helper()
	fleet := make([]*replica, n)
	for i := range fleet {
		fleet[i] = newReplica(t, fmt.Sprintf("replica-%d", i), iss, fleetConfig(r, logs))
	}
	waitSynced(t, fleet...)
	return fleet
}

// A back-channel logout posted to one replica is refused by all three
// within a second. The propagation (from the post until the last replica
// refuses over HTTP) is logged; only the bound is asserted.
func TestFleetRefusesARevokedSessionEverywhereWithinASecond(t *testing.T) {
	redis := redistest.Start(t)
	iss := newIssuer(t)
	logs := newLogSink(t)
	fleet := startFleet(t, redis, iss, logs, 3)

	exp := time.Now().Add(time.Hour)
	bystander := iss.MustMint(authtest.Claims{"sid": "s-bystander", "exp": exp})
	const revocations = 50
	took := make([]time.Duration, 0, revocations)
	for i := range revocations {
		sid := fmt.Sprintf("s-%d", i)
		tok := iss.MustMint(authtest.Claims{"sid": sid, "exp": exp})
		wantStatus(t, fleet, pathMe, tok, http.StatusOK, "before the logout") // and now in every verified-token cache

		issuer := fleet[i%len(fleet)]
		start := time.Now()
		issuer.backChannelLogout(t, iss, sid)
		if got := issuer.status(t, pathMe, tok); got != http.StatusUnauthorized {
			t.Fatalf("%s, which issued the revocation, answered %d at once, want 401", issuer.name, got)
		}
		for _, r := range fleet {
			eventually(t, time.Second-time.Since(start), r.name+" refuses the revoked session", func() bool {
				return r.status(t, pathMe, tok) == http.StatusUnauthorized
			})
		}
		took = append(took, time.Since(start))
	}
	wantStatus(t, fleet, pathMe, bystander, http.StatusOK, "another session")
	wantStatus(t, fleet, pathFresh, bystander, http.StatusOK, "another session on a fresh route")

	slices.Sort(took)
	p50 := took[len(took)/2]
	p99 := took[int(math.Ceil(0.99*float64(len(took))))-1]
	t.Logf("propagation to all 3 replicas (refused over HTTP), %d revocations: p50 %v, p99 %v, max %v",
		len(took), p50, p99, took[len(took)-1])
}

// Redis restarted mid-way: revocations issued before, during (while it is
// down) and after are all in force on every replica afterwards, and on a
// replica that starts later. While it is down, replicas answer from what
// they know.
func TestFleetLosesNothingAcrossARedisRestart(t *testing.T) {
	redis := redistest.Start(t, redistest.WithPersistence())
	iss := newIssuer(t)
	logs := newLogSink(t)
	fleet := startFleet(t, redis, iss, logs, 3)

	exp := time.Now().Add(time.Hour)
	mint := func(sid string) string { return iss.MustMint(authtest.Claims{"sid": sid, "exp": exp}) }
	before, during, after, kept := mint("s-before"), mint("s-during"), mint("s-after"), mint("s-kept")
	for _, tok := range []string{before, during, after, kept} {
		wantStatus(t, fleet, pathMe, tok, http.StatusOK, "at the start")
	}

	if err := fleet[0].store.RevokeSession(t.Context(), iss.URL(), "s-before", exp); err != nil {
		t.Fatal(err)
	}
	for _, r := range fleet {
		eventually(
			t,
			time.Second,
			r.name+" refuses s-before",
			func() bool { return r.status(t, pathMe, before) == http.StatusUnauthorized },
		)
	}

	redis.Stop()
	for _, r := range fleet {
		eventually(t, 5*time.Second, r.name+" notices Redis is down", func() bool { return !r.store.Synced() })
	}
	// Down: what is known stays in force, the rest is admitted; fresh
	// routes refuse, since a revocation may be missed.
	wantStatus(t, fleet, pathMe, before, http.StatusUnauthorized, "Redis down, revoked before")
	wantStatus(t, fleet, pathMe, kept, http.StatusOK, "Redis down, never revoked")
	wantStatus(t, fleet, pathFresh, kept, http.StatusServiceUnavailable, "Redis down, fresh route")

	err := fleet[1].store.RevokeSession(t.Context(), iss.URL(), "s-during", exp)
	if !errors.Is(err, redisstore.ErrPending) {
		t.Fatalf("RevokeSession with Redis down: %v, want ErrPending", err)
	}
	if got := fleet[1].status(t, pathMe, during); got != http.StatusUnauthorized {
		t.Fatalf("the issuing replica answered %d while Redis is down, want 401 at once", got)
	}
	if got := fleet[1].store.Pending(); got != 1 {
		t.Fatalf("Pending = %d, want 1", got)
	}

	redis.Restart()
	waitAllSynced := func(fleet []*replica) {
		for _, r := range fleet {
			eventually(t, 10*time.Second, r.name+" in sync again", r.store.Synced)
		}
	}
	waitAllSynced(fleet)
	eventually(t, 5*time.Second, "the pending revocation written", func() bool { return fleet[1].store.Pending() == 0 })
	if err := fleet[2].store.RevokeSession(t.Context(), iss.URL(), "s-after", exp); err != nil {
		t.Fatal(err)
	}

	late := newReplica(t, "replica-late", iss, fleetConfig(redis, logs))
	waitSynced(t, late)
	everyone := append(slices.Clone(fleet), late)
	for _, tok := range []string{before, during, after} {
		for _, r := range everyone {
			eventually(t, time.Second, r.name+" refuses a session revoked before, during or after", func() bool {
				return r.status(t, pathMe, tok) == http.StatusUnauthorized
			})
		}
	}
	wantStatus(t, everyone, pathMe, kept, http.StatusOK, "after the restart, never revoked")
	wantStatus(t, everyone, pathFresh, kept, http.StatusOK, "after the restart, fresh route")
}

// A replica that starts while Redis is down: New succeeds at once; it
// admits tokens on ordinary routes (it knows no revocation), refuses on
// fresh routes (unless FreshFailOpen); it synchronises when Redis is back.
func TestReplicaStartingWhileRedisIsDown(t *testing.T) {
	redis := redistest.Start(t, redistest.WithPersistence())
	iss := newIssuer(t)
	logs := newLogSink(t)
	exp := time.Now().Add(time.Hour)
	revoked := iss.MustMint(authtest.Claims{"sid": "s-gone", "exp": exp})
	valid := iss.MustMint(authtest.Claims{"sid": "s-live", "exp": exp})

	first := newReplica(t, "replica-first", iss, fleetConfig(redis, logs))
	waitSynced(t, first)
	if err := first.store.RevokeSession(t.Context(), iss.URL(), "s-gone", exp); err != nil {
		t.Fatal(err)
	}
	redis.Stop()

	strict := newReplica(t, "replica-strict", iss, fleetConfig(redis, logs))
	openCfg := fleetConfig(redis, logs)
	openCfg.FreshFailOpen = true
	open := newReplica(t, "replica-open", iss, openCfg)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	err := strict.store.WaitSynced(ctx)
	cancel()
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitSynced with Redis down: %v, want the deadline", err)
	}
	for _, r := range []*replica{strict, open} {
		if r.store.Synced() {
			t.Fatalf("%s: Synced with Redis down", r.name)
		}
		// Ordinary routes: no revocation known yet.
		if got := r.status(t, pathMe, revoked); got != http.StatusOK {
			t.Fatalf("%s: %d for a token it cannot know is revoked, want 200 (as documented)", r.name, got)
		}
	}
	if got := strict.status(t, pathFresh, valid); got != http.StatusServiceUnavailable {
		t.Fatalf("strict replica, fresh route, never synced: %d, want 503", got)
	}
	if got := open.status(t, pathFresh, valid); got != http.StatusOK {
		t.Fatalf("FreshFailOpen replica, fresh route, never synced: %d, want 200", got)
	}

	redis.Restart()
	waitSynced(t, strict, open)
	for _, r := range []*replica{strict, open} {
		wantStatus(t, []*replica{r}, pathMe, revoked, http.StatusUnauthorized, "synced after Redis came back")
		wantStatus(t, []*replica{r}, pathFresh, revoked, http.StatusUnauthorized, "synced, fresh route")
		wantStatus(t, []*replica{r}, pathFresh, valid, http.StatusOK, "synced, fresh route, valid token")
	}
}

// A back-channel logout that arrives while Redis is down is in force on
// its replica at once, is answered 503 (so the provider posts it again:
// the replica holds it only in memory), and reaches the fleet when Redis
// is back, retried or not (the queued write).
func TestBackChannelLogoutWhileRedisIsDown(t *testing.T) {
	redis := redistest.Start(t)
	iss := newIssuer(t)
	logs := newLogSink(t)
	fleet := startFleet(t, redis, iss, logs, 2)
	exp := time.Now().Add(time.Hour)
	tok := iss.MustMint(authtest.Claims{"sid": "s-outage", "exp": exp})
	wantStatus(t, fleet, pathMe, tok, http.StatusOK, "before the logout")

	redis.Stop()
	if ans := fleet[0].postLogout(
		t,
		mustLogoutToken(t, iss, "s-outage", "", nil),
	); ans.status != http.StatusServiceUnavailable ||
		ans.retryAfter == "" {
		t.Fatalf("a logout while Redis is down: %+v, want 503 with Retry-After", ans)
	}
	if got := fleet[0].status(t, pathMe, tok); got != http.StatusUnauthorized {
		t.Fatalf("the replica that took the logout answered %d while Redis is down, want 401", got)
	}
	redis.Restart()
	eventually(t, 10*time.Second, "the other replica refuses the session once Redis is back", func() bool {
		return fleet[1].status(t, pathMe, tok) == http.StatusUnauthorized
	})
}
