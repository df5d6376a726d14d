package redisstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/redistest"
	"github.com/identsphere/identsphere-go/revocation/redisstore"
)

// Keys under the prefix that hold no readable denial (garbage, another
// type, times out of range) deny what their name says until they expire:
// fail closed. Keys that name no denial are ignored. Nothing panics, and
// the Store still synchronises.
func TestUnreadableKeysFailClosed(t *testing.T) {
	redis := redistest.Start(t)
	raw := redis.Client()
	defer raw.Close()
	ctx := t.Context()
	now := time.Now()
	hour := strconv.FormatInt(now.Add(time.Hour).UnixMilli(), 10)
	set := func(key, value string, ttl time.Duration) {
		t.Helper()
		if err := raw.Set(ctx, key, value, ttl).Err(); err != nil {
			t.Fatal(err)
		}
	}
	set(rawKey("p:", "sid", "s-garbage"), "not a denial", time.Minute)
	set(rawKey("p:", "sid", "s-huge"), "0 99999999999999999999", time.Minute)
	set(rawKey("p:", "sid", "s-backwards"), "7 3", time.Minute)
	set(rawKey("p:", "sid", "s-signed"), "0 +"+hour, time.Minute)
	set(rawKey("p:", "jti", "j-forever"), "x", 0) // no expiry at all
	set(rawKey("p:", "sid", "s-good"), "0 "+hour, 0)
	set(rawKey("p:", "sub", "u-good"), strconv.FormatInt(now.UnixMilli(), 10)+" "+hour, time.Hour)
	if err := raw.HSet(ctx, rawKey("p:", "sub", "u-hash"), "a", "b").Err(); err != nil {
		t.Fatal(err)
	}
	raw.PExpire(ctx, rawKey("p:", "sub", "u-hash"), time.Minute)
	if err := raw.RPush(ctx, rawKey("p:", "sid", "s-list"), "x").Err(); err != nil {
		t.Fatal(err)
	}
	raw.PExpire(ctx, rawKey("p:", "sid", "s-list"), time.Minute)
	set("p:nokind", "0 "+hour, time.Minute)
	set("p:xyz:id", "0 "+hour, time.Minute)
	set(rawKey("p:", "sid", ""), "0 "+hour, time.Minute)
	set(rawKey("other:", "sid", "s-elsewhere"), "0 "+hour, time.Minute)
	set("p:sid:s-v1", "0 "+hour, time.Minute) // the first format, without an issuer: ignored

	logs := newLogSink(t)
	var clk clock
	s := newStore(t, redisstore.Config{URL: redis.URL(), KeyPrefix: "p:", Logger: logs.logger(), Now: clk.now})
	if err := s.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}

	for _, sid := range []string{"s-garbage", "s-huge", "s-backwards", "s-signed", "s-list", "s-good"} {
		if !isRevoked(t, s, claims("u", sid, "", now)) {
			t.Errorf("sid %s is admitted", sid)
		}
	}
	if !isRevoked(t, s, claims("u", "", "j-forever", now)) {
		t.Error("a garbage jti key without expiry is admitted")
	}
	if !isRevoked(
		t,
		s,
		claims("u-hash", "", "", now.Add(core.MaxLeeway+50*time.Second)),
	) { // iat as late as a Validator accepts while it lasts
		t.Error("a subject key of another type does not deny every token of the subject")
	}
	if !isRevoked(t, s, claims("u-good", "", "", now.Add(-time.Second))) ||
		isRevoked(t, s, claims("u-good", "", "", now.Add(time.Second))) {
		t.Error("a readable subject denial is not applied by its iat bound")
	}
	if isRevoked(t, s, claims("u", "s-elsewhere", "", now)) || isRevoked(t, s, claims("u", "id", "", now)) {
		t.Error("a key outside the prefix, or of no known kind, denies")
	}
	if isRevoked(t, s, claims("u", "s-v1", "", now)) {
		t.Error("a key of the first format, which names no issuer, denies")
	}
	// One line each per resynchronisation, however many keys.
	if strings.Count(logs.String(), "hold no readable denial") != 1 ||
		strings.Count(logs.String(), "that name no denial") != 1 ||
		strings.Count(logs.String(), "replicas of an earlier version") != 1 {
		t.Errorf("unreadable and ignored keys not logged once each:\n%s", logs.String())
	}

	// Fail closed lasts as long as the key: a minute here, a day without
	// expiry; a readable denial lasts exactly as long as it says.
	clk.advance(time.Minute + time.Second)
	if isRevoked(t, s, claims("u", "s-garbage", "", now)) {
		t.Error("a garbage key denies past its expiry")
	}
	if !isRevoked(t, s, claims("u", "", "j-forever", now)) {
		t.Error("a garbage key without expiry stopped denying after a minute")
	}
	clk.advance(time.Hour)
	if isRevoked(t, s, claims("u", "s-good", "", now)) {
		t.Error("a readable denial outlived its end")
	}
	clk.advance(24 * time.Hour)
	if isRevoked(t, s, claims("u", "", "j-forever", now)) {
		t.Error("a garbage key without expiry denies for more than a day")
	}

	// A revocation over a key of another type lands all the same.
	if err := s.RevokeSession(ctx, testIssuer, "s-list", clk.now().Add(time.Hour)); err != nil {
		t.Fatalf("RevokeSession over a list: %v", err)
	}
	if v, err := raw.Get(ctx, rawKey("p:", "sid", "s-list")).Result(); err != nil || !strings.HasPrefix(v, "0 ") {
		t.Fatalf("after the revocation the key holds %q, %v", v, err)
	}
}

// Unreadable messages on the channel never panic; each makes the replica
// read every key again, so a denial they might have carried is not lost.
// A well-formed message is applied as it is.
func TestUnreadableMessagesMakeTheReplicaReadEverything(t *testing.T) {
	redis := redistest.Start(t)
	raw := redis.Client()
	defer raw.Close()
	ctx := t.Context()
	logs := newLogSink(t)
	s := newStore(
		t,
		redisstore.Config{
			URL:            redis.URL(),
			KeyPrefix:      "p:",
			Channel:        "c",
			Logger:         logs.logger(),
			HealthInterval: 50 * time.Millisecond,
		},
	)
	if err := s.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	hour := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)

	// Written without a message: this replica cannot know it yet.
	if err := raw.Set(ctx, rawKey("p:", "sid", "s-silent"), "0 "+hour, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if isRevoked(t, s, claims("u", "s-silent", "", time.Now())) {
		t.Fatal("a denial nobody published is known")
	}
	for _, m := range []string{
		"", "v2", "v2 0 " + hour, "v2 0 " + hour + " ", rawMessage("x", "y", "sid", "s-1"),
		rawMessage("0", hour, "zzz", "s-1"),
		rawMessage("5", hour, "sid", "s-1"), rawMessage("-1", hour, "jti", "j"), strings.Repeat("A", 100_000),
		"sid\x000 " + hour + " s",
		"v2 0 " + hour + " sid:99:" + testIssuer + ":s-1",
	} {
		if err := raw.Publish(ctx, "c", m).Err(); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 5*time.Second, "the garbage made the replica read every key", func() bool {
		return isRevoked(t, s, claims("u", "s-silent", "", time.Now()))
	})
	if err := raw.Publish(ctx, "c", rawMessage("0", hour, "sid", "s with spaces")).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "a well-formed message is applied", func() bool {
		return isRevoked(t, s, claims("u", "s with spaces", "", time.Now()))
	})
	if !s.Synced() {
		t.Fatal("garbage on the channel put the replica out of sync")
	}
	if !strings.Contains(logs.String(), "unreadable message") {
		t.Errorf("unreadable messages not logged:\n%s", logs.String())
	}
}

// A hung Redis (the process frozen: connections open, nothing answered):
// a revocation returns within the Timeout, in force locally and queued;
// replicas notice they are out of sync and fresh routes refuse; requests
// are answered from memory; Close does not hang. When Redis wakes up,
// everything catches up.
func TestHungRedisNeverHangsTheStore(t *testing.T) {
	if !redistest.RequireReal(
		t,
		"a frozen Redis process (connections open, nothing answered): the in-process server cannot freeze",
	) {
		return
	}
	redis := redistest.Start(t)
	logs := newLogSink(t)
	cfg := redisstore.Config{
		URL:            redis.URL(),
		Logger:         logs.logger(),
		Timeout:        300 * time.Millisecond,
		HealthInterval: 100 * time.Millisecond,
	}
	a, b, c := newStore(t, cfg), newStore(t, cfg), newStore(t, cfg)
	for _, s := range []*redisstore.Store{a, b, c} {
		if err := s.WaitSynced(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	exp := time.Now().Add(time.Hour)
	if err := a.RevokeSession(t.Context(), testIssuer, "s-known", exp); err != nil {
		t.Fatal(err)
	}
	eventually(
		t,
		time.Second,
		"b knows s-known",
		func() bool { return isRevoked(t, b, claims("u", "s-known", "", time.Now())) },
	)

	redis.Pause()
	defer redis.Resume() // before the cleanup stops it, if the test fails
	done := make(chan error, 1)
	go func() { done <- a.RevokeSession(context.Background(), testIssuer, "s-hung", exp) }()
	select {
	case err := <-done:
		if !errors.Is(err, redisstore.ErrPending) {
			t.Fatalf("RevokeSession on a hung Redis: %v, want ErrPending", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RevokeSession hangs on a hung Redis")
	}
	if !isRevoked(t, a, claims("u", "s-hung", "", time.Now())) {
		t.Fatal("the revocation is not in force on its replica")
	}
	for _, s := range []*redisstore.Store{a, b} {
		eventually(t, 5*time.Second, "the replica notices the hung Redis", func() bool { return !s.Synced() })
		err := s.CheckFresh(t.Context(), "", claims("u", "s-other", "", time.Now()))
		if !errors.Is(err, core.ErrRevocationUnavailable) {
			t.Fatalf("CheckFresh out of sync: %v, want ErrRevocationUnavailable", err)
		}
	}
	if !isRevoked(t, b, claims("u", "s-known", "", time.Now())) ||
		isRevoked(t, b, claims("u", "s-other", "", time.Now())) {
		t.Fatal("requests are not answered from memory while Redis hangs")
	}
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs on a hung Redis")
	}

	redis.Resume()
	eventually(t, 10*time.Second, "b back in sync and told of s-hung", func() bool {
		return b.Synced() && isRevoked(t, b, claims("u", "s-hung", "", time.Now()))
	})
	// The write that timed out may have landed after all once Redis woke
	// up; writing it again is harmless (denials merge).
	eventually(t, 10*time.Second, "the queued revocation written", func() bool { return a.Pending() == 0 })
}

// The Redis password appears in no log line and no error, whatever
// happens: start, outage, queued revocation, wrong password, bad URL.
func TestPasswordNeverLoggedNorReturned(t *testing.T) {
	password := "pw-" + rand.Text()
	redis := redistest.Start(t, redistest.WithPassword(password))
	logs := newLogSink(t)
	var errs []error
	cfg := redisstore.Config{
		URL:            redis.URL(),
		Logger:         logs.logger(),
		Timeout:        300 * time.Millisecond,
		HealthInterval: 100 * time.Millisecond,
	}
	s := newStore(t, cfg)
	if err := s.WaitSynced(t.Context()); err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour)
	errs = append(errs, s.RevokeSession(t.Context(), testIssuer, "s-1", exp))
	redis.Stop()
	eventually(t, 5*time.Second, "out of sync", func() bool { return !s.Synced() })
	errs = append(errs, s.RevokeSession(t.Context(), testIssuer, "s-2", exp))
	errs = append(errs, s.CheckFresh(t.Context(), "", claims("u", "", "", time.Now())))
	redis.Restart()
	eventually(t, 10*time.Second, "in sync again", s.Synced)

	wrong := cfg
	wrong.URL = strings.Replace(redis.URL(), password, "wrong-"+password, 1)
	w := newStore(t, wrong)
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	errs = append(errs, w.WaitSynced(ctx))
	cancel()
	errs = append(errs, w.RevokeToken(t.Context(), testIssuer, "j", exp))
	_, err := redisstore.New(t.Context(), redisstore.Config{URL: "redis://:" + password + "@127.0.0.1:port/0"})
	errs = append(errs, err)
	_, err = redisstore.New(t.Context(), redisstore.Config{URL: "redis://:" + password + "@127.0.0.1:1/x/y"})
	errs = append(errs, err)
	_ = s.Close()
	_ = w.Close()

	for i, err := range errs {
		if err != nil && strings.Contains(err.Error(), password) {
			t.Errorf("error %d holds the password: %v", i, err)
		}
	}
	if errs[1] == nil || errs[3] == nil || errs[5] == nil || errs[6] == nil {
		t.Errorf("expected failures did not fail: %v", errs)
	}
	got := logs.String()
	if strings.Contains(got, password) {
		t.Fatalf("the password is in the logs:\n%s", got)
	}
	if !strings.Contains(got, redis.Addr()) || !strings.Contains(got, "lost Redis") {
		t.Fatalf("the logs do not name Redis by its address:\n%s", got)
	}
}
