package redistest

import (
	"context"
	"testing"
	"time"
)

// startInMemoryFor starts the in-process server whatever PATH holds.
func startInMemoryFor(t *testing.T, opts ...Option) *Server {
	t.Helper()
	r := &Server{t: t}
	for _, o := range opts {
		o(r)
	}
	r.startInMemory()
	return r
}

// The in-process server behaves as a redis-server does where the tests
// rely on it: a restart on the same port loses the data unless
// WithPersistence, Stop closes the connections, TTLs run down with the
// wall clock, and a password is required when set.
func TestInMemoryServerBehavesAsRedisServerDoes(t *testing.T) {
	ctx := context.Background()
	for _, persist := range []bool{false, true} {
		var opts []Option
		if persist {
			opts = append(opts, WithPersistence())
		}
		r := startInMemoryFor(t, opts...)
		if r.Real() {
			t.Fatal("the in-process server says it is real")
		}
		c := r.Client()
		if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		addr := r.Addr()
		r.Stop()
		if err := c.Ping(ctx).Err(); err == nil {
			t.Fatal("a stopped server answers")
		}
		r.Restart()
		if r.Addr() != addr {
			t.Fatalf("restarted on %s, want %s", r.Addr(), addr)
		}
		n, err := c.Exists(ctx, "k").Result()
		if err != nil {
			t.Fatal(err)
		}
		if kept := n == 1; kept != persist {
			t.Errorf("persistence %v: data kept across a restart = %v", persist, kept)
		}
		c.Close()
	}

	r := startInMemoryFor(t)
	c := r.Client()
	defer c.Close()
	if err := c.Set(ctx, "short", "v", 300*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Exists(ctx, "short").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("a 300ms key still there after 10s: TTLs do not follow the wall clock")
		}
		time.Sleep(20 * time.Millisecond) // polling, bounded by the deadline
	}

	locked := startInMemoryFor(t, WithPassword("pw"))
	anon := &Server{port: locked.port}
	ac := anon.Client()
	defer ac.Close()
	if err := ac.Ping(ctx).Err(); err == nil {
		t.Fatal("a password-protected server answers without it")
	}
	lc := locked.Client()
	defer lc.Close()
	if err := lc.Ping(ctx).Err(); err != nil {
		t.Fatalf("with the password: %v", err)
	}
}
