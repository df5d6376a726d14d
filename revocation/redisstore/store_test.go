package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/redistest"
	"github.com/identsphere/identsphere-go/revocation/redisstore"
	"github.com/redis/go-redis/v9"
)

func TestNewRefusesBadConfigs(t *testing.T) {
	bounded := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer bounded.Close()
	unbounded := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ReadTimeout: -2})
	defer unbounded.Close()
	blocking := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ReadTimeout: -1})
	defer blocking.Close()
	for name, tc := range map[string]struct {
		cfg  redisstore.Config
		want string
	}{
		"neither URL nor Client": {redisstore.Config{}, "is required"},
		"both":                   {redisstore.Config{URL: "redis://127.0.0.1:1", Client: bounded}, "not both"},
		"negative duration":      {redisstore.Config{URL: "redis://127.0.0.1:1", Timeout: -time.Second}, "negative"},
		"negative bound":         {redisstore.Config{URL: "redis://127.0.0.1:1", MaxPending: -1}, "negative"},
		"not a Redis URL":        {redisstore.Config{URL: "https://127.0.0.1:1"}, "not a Redis URL"},
		"deadlines disabled":     {redisstore.Config{Client: unbounded}, "deadlines are disabled"},
		"blocking reads":         {redisstore.Config{Client: blocking}, "unbounded"},
	} {
		s, err := redisstore.New(t.Context(), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			if s != nil {
				_ = s.Close()
			}
			t.Errorf("%s: err = %v, want one saying %q", name, err, tc.want)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := redisstore.New(ctx, redisstore.Config{URL: "redis://127.0.0.1:1"}); !errors.Is(err, context.Canceled) {
		t.Errorf("New with a done context: %v", err)
	}
}

// New's context governs New only: the Store keeps receiving revocations
// after it ends. A Client of the caller's stays open after Close.
func TestStoreOutlivesItsStartContextAndLeavesYourClientOpen(t *testing.T) {
	redis := redistest.Start(t)
	client := redis.Client()
	defer client.Close()
	logs := newLogSink(t)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := redisstore.New(ctx, redisstore.Config{Client: client, Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other := newStore(t, redisstore.Config{URL: redis.URL(), Logger: logs.logger()})
	for _, st := range []*redisstore.Store{s, other} {
		if err := st.WaitSynced(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	if err := other.RevokeToken(t.Context(), testIssuer, "j-1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "a revocation after the start context ended arrives", func() bool {
		return isRevoked(t, s, claims("u", "", "j-1", time.Now()))
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := client.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("the caller's client was closed: %v", err)
	}
}

func TestRevokeRefusesBadInput(t *testing.T) {
	redis := redistest.Start(t)
	logs := newLogSink(t)
	s := newStore(t, redisstore.Config{URL: redis.URL(), Logger: logs.logger()})
	ctx := t.Context()
	exp := time.Now().Add(time.Hour)
	for name, err := range map[string]error{
		"empty jti":             s.RevokeToken(ctx, testIssuer, "", exp),
		"zero exp":              s.RevokeToken(ctx, testIssuer, "j", time.Time{}),
		"empty sid":             s.RevokeSession(ctx, testIssuer, "", exp),
		"zero until":            s.RevokeSession(ctx, testIssuer, "s", time.Time{}),
		"empty sub":             s.RevokeSubject(ctx, testIssuer, "", time.Hour),
		"no lifetime":           s.RevokeSubject(ctx, testIssuer, "u", 0),
		"an id longer than any": s.RevokeSession(ctx, testIssuer, strings.Repeat("s", core.DefaultMaxTokenSize+1), exp),
		"no issuer":             s.RevokeSession(ctx, "", "s", exp),
		"no issuer for a sub":   s.RevokeSubject(ctx, "", "u", time.Hour),
		"an issuer too long":    s.RevokeToken(ctx, strings.Repeat("i", core.DefaultMaxTokenSize+1), "j", exp),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A token past exp and the leeway can no longer be valid: nothing to do.
	if err := s.RevokeToken(ctx, testIssuer, "j-old", time.Now().Add(-2*core.MaxLeeway)); err != nil {
		t.Fatal(err)
	}
	if n := s.Len(); n != 0 {
		t.Fatalf("%d entries after refused and moot revocations, want 0", n)
	}
	if _, err := s.Revoked(ctx, nil); err == nil {
		t.Error("Revoked(nil) answered without an error")
	}
	if err := s.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckFresh(ctx, "", nil); !errors.Is(err, core.ErrRevocationUnavailable) {
		t.Errorf("CheckFresh without claims: %v, want ErrRevocationUnavailable", err)
	}
}

// After Close a revocation is still in force on the replica, and the
// caller is told it went no further; Close is idempotent; WaitSynced
// returns.
func TestRevokeAfterClose(t *testing.T) {
	redis := redistest.Start(t)
	logs := newLogSink(t)
	s := newStore(t, redisstore.Config{URL: redis.URL(), Logger: logs.logger()})
	if err := s.WaitSynced(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.Synced() {
		t.Fatal("Synced after Close")
	}
	err := s.RevokeSession(t.Context(), testIssuer, "s-late", time.Now().Add(time.Hour))
	if err == nil || errors.Is(err, redisstore.ErrPending) {
		t.Fatalf("RevokeSession after Close: %v, want an error that is not ErrPending", err)
	}
	if !isRevoked(t, s, claims("u", "s-late", "", time.Now())) {
		t.Fatal("a revocation after Close is not in force on the replica")
	}
	err = s.CheckFresh(t.Context(), "", claims("u", "s-other", "", time.Now()))
	if !errors.Is(err, core.ErrRevocationUnavailable) {
		t.Fatalf("CheckFresh after Close: %v", err)
	}

	never := newStore(
		t,
		redisstore.Config{URL: "redis://127.0.0.1:1/0", Logger: logs.logger(), Timeout: 100 * time.Millisecond},
	)
	_ = never.Close()
	if err := never.WaitSynced(t.Context()); err == nil {
		t.Fatal("WaitSynced after Close without a sync returned nil")
	}
}
