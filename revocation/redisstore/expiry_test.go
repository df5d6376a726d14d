package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/redistest"
	"github.com/identsphere/identsphere-go/revocation/redisstore"
)

// 10,000 revocations: every replica holds exactly one entry each (no
// growth when they are issued again), a replica that starts later reads
// them all, Redis holds one key each; once the tokens have expired, the
// entries are gone from memory (controllable clock). Redis drops the keys
// by its own expiry (real time, short-lived denials). The in-process Redis
// runs it with 2,000: it interprets the write script in a fresh Lua state
// on every write, some hundred times a real Redis's cost under the race
// detector.
func TestTenThousandRevocationsStayBoundedAndExpire(t *testing.T) {
	redis := redistest.Start(t)
	raw := redis.Client()
	defer raw.Close()
	logs := newLogSink(t)
	var clk clock
	// Timeout: this test is about numbers, not outages; a loaded machine
	// may queue a write for seconds.
	cfg := redisstore.Config{
		URL:           redis.URL(),
		Logger:        logs.logger(),
		Now:           clk.now,
		SweepInterval: 20 * time.Millisecond,
		Timeout:       30 * time.Second,
	}
	issuing, receiving := newStore(t, cfg), newStore(t, cfg)
	for _, s := range []*redisstore.Store{issuing, receiving} {
		if err := s.WaitSynced(t.Context()); err != nil {
			t.Fatal(err)
		}
	}

	n := 10_000
	if !redis.Real() {
		n = 2_000
	}
	exp := clk.now().Add(time.Hour)
	revokeAll := func() {
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < n; i += 8 {
					if err := issuing.RevokeToken(t.Context(), testIssuer, "jti-"+strconv.Itoa(i), exp); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			t.Fatalf("RevokeToken: %v", err)
		}
	}
	revokeAll()
	revokeAll() // the same denials again: merged, not added
	if got := issuing.Len(); got != n {
		t.Fatalf("issuing replica holds %d entries, want %d", got, n)
	}
	eventually(
		t,
		10*time.Second,
		"the receiving replica holds every denial",
		func() bool { return receiving.Len() == n },
	)
	started := time.Now()
	late := newStore(t, cfg)
	if err := late.WaitSynced(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Logf("a replica starting with %d denials in Redis synchronised in %v", n, time.Since(started))
	if got := late.Len(); got != n {
		t.Fatalf("a replica started later read %d entries, want %d", got, n)
	}
	if got := raw.DBSize(t.Context()).Val(); got != int64(n) {
		t.Fatalf("Redis holds %d keys, want %d", got, n)
	}
	for _, s := range []*redisstore.Store{issuing, receiving, late} {
		if !isRevoked(t, s, claims("u", "", "jti-"+strconv.Itoa(n/2+1), time.Now())) {
			t.Fatal("a revoked jti is admitted")
		}
	}

	clk.advance(time.Hour + core.MaxLeeway + time.Second) // every token has expired, leeway included
	for i, s := range []*redisstore.Store{issuing, receiving, late} {
		eventually(
			t,
			5*time.Second,
			fmt.Sprintf("store %d swept its expired entries", i),
			func() bool { return s.Len() == 0 },
		)
		if isRevoked(t, s, claims("u", "", "jti-"+strconv.Itoa(n/2+1), time.Now())) {
			t.Fatal("an expired denial still denies")
		}
	}

	// Redis' side, in real time: denials that end in two seconds,
	// keys that outlive them by a millisecond.
	short := newStore(
		t,
		redisstore.Config{URL: redis.URL(), Logger: logs.logger(), KeyPrefix: "short:", ExpiryMargin: time.Millisecond},
	)
	soon := time.Now().Add(-core.MaxLeeway + 2*time.Second)
	for i := range 100 {
		if err := short.RevokeToken(t.Context(), testIssuer, "jti-"+strconv.Itoa(i), soon); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		keys, err := raw.Keys(t.Context(), "short:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		return len(keys)
	}
	if got := count(); got == 0 {
		t.Fatal("the short-lived denials are not in Redis")
	}
	eventually(t, 15*time.Second, "Redis expired the short-lived keys", func() bool { return count() == 0 })
}

// The key of a denial outlives every token it denies (exp plus the leeway),
// keeps the later time whatever the order of writes, and the published
// message carries the same times.
func TestKeysExpireNoEarlierThanTheTokens(t *testing.T) {
	redis := redistest.Start(t)
	raw := redis.Client()
	defer raw.Close()
	logs := newLogSink(t)
	cfg := redisstore.Config{URL: redis.URL(), Logger: logs.logger(), KeyPrefix: "p:", Channel: "c"}
	s := newStore(t, cfg)
	if err := s.WaitSynced(t.Context()); err != nil {
		t.Fatal(err)
	}
	sub := raw.Subscribe(t.Context(), "c")
	defer sub.Close()
	if _, err := sub.Receive(t.Context()); err != nil { // the subscription's confirmation
		t.Fatal(err)
	}

	exp := time.Now().Add(10 * time.Minute).Truncate(time.Second)
	until := exp.Add(core.MaxLeeway).UnixMilli()
	if err := s.RevokeToken(t.Context(), testIssuer, "j-1", exp); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(
		t.Context(),
		testIssuer,
		"j-1",
		exp.Add(-5*time.Minute),
	); err != nil { // earlier: must not shorten
		t.Fatal(err)
	}
	if got, want := raw.Get(
		t.Context(),
		rawKey("p:", "jti", "j-1"),
	).Val(), "0 "+strconv.FormatInt(until, 10); got != want {
		t.Fatalf("value %q, want %q", got, want)
	}
	ttl := raw.PTTL(t.Context(), rawKey("p:", "jti", "j-1")).Val()
	if want := time.Until(time.UnixMilli(until)) + redisstore.DefaultExpiryMargin; ttl < want-time.Second ||
		ttl > want+time.Second {
		t.Fatalf("key expires in %v, want the denial's end plus the margin: %v", ttl, want)
	}
	msg, err := sub.ReceiveMessage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := rawMessage("0", strconv.FormatInt(until, 10), "jti", "j-1"); msg.Payload != want {
		t.Fatalf("message %q, want %q", msg.Payload, want)
	}

	before := time.Now()
	if err := s.RevokeSubject(t.Context(), testIssuer, "u 1", time.Hour); err != nil { // ids may hold spaces
		t.Fatal(err)
	}
	v := raw.Get(t.Context(), rawKey("p:", "sub", "u 1")).Val()
	since, end, _ := strings.Cut(v, " ")
	sinceMS, err1 := strconv.ParseInt(since, 10, 64)
	untilMS, err2 := strconv.ParseInt(end, 10, 64)
	if err1 != nil || err2 != nil || sinceMS < before.Add(core.MaxLeeway).UnixMilli() ||
		untilMS != sinceMS+(time.Hour+core.MaxLeeway).Milliseconds() {
		t.Fatalf("subject value %q: want since = now+MaxLeeway, until = since+maxLifetime+MaxLeeway", v)
	}
	if ttl := raw.PTTL(t.Context(), rawKey("p:", "sub", "u 1")).Val(); ttl < time.Until(
		time.UnixMilli(untilMS),
	)-time.Second {
		t.Fatalf("subject key expires in %v, before its denial ends", ttl)
	}
}

// The outbox of revocations issued while Redis is down is bounded; what
// does not fit is still in force on its replica, and the caller is told.
func TestPendingRevocationsAreBounded(t *testing.T) {
	redis := redistest.Start(t)
	logs := newLogSink(t)
	cfg := fleetConfig(redis, logs)
	cfg.MaxPending = 5
	s := newStore(t, cfg)
	if err := s.WaitSynced(t.Context()); err != nil {
		t.Fatal(err)
	}
	redis.Stop()
	exp := time.Now().Add(time.Hour)
	for i := range 5 {
		err := s.RevokeSession(t.Context(), testIssuer, "s-"+strconv.Itoa(i), exp)
		if !errors.Is(err, redisstore.ErrPending) {
			t.Fatalf("revocation %d with Redis down: %v, want ErrPending", i, err)
		}
	}
	err := s.RevokeSession(t.Context(), testIssuer, "s-5", exp)
	if err == nil || errors.Is(err, redisstore.ErrPending) {
		t.Fatalf("a revocation past MaxPending: %v, want an error that is not ErrPending", err)
	}
	err = s.RevokeSession(t.Context(), testIssuer, "s-0", exp.Add(time.Minute))
	if !errors.Is(err, redisstore.ErrPending) {
		t.Fatalf("a queued id revoked again: %v, want ErrPending (merged, not added)", err)
	}
	if got := s.Pending(); got != 5 {
		t.Fatalf("Pending = %d, want 5", got)
	}
	for i := range 6 {
		if !isRevoked(t, s, claims("u", "s-"+strconv.Itoa(i), "", time.Now())) {
			t.Fatalf("s-%d not in force on the issuing replica", i)
		}
	}

	redis.Restart()
	eventually(t, 10*time.Second, "the queue written", func() bool { return s.Pending() == 0 })
	other := newStore(t, cfg)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := other.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if !isRevoked(t, other, claims("u", "s-"+strconv.Itoa(i), "", time.Now())) {
			t.Fatalf("queued s-%d did not reach another replica", i)
		}
	}
	if isRevoked(t, other, claims("u", "s-5", "", time.Now())) {
		t.Fatal("the revocation reported as not queued reached another replica")
	}
}
