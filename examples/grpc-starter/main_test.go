package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// env is a lookupEnv over a map.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// cancelOnWrite cancels a context at the first line written to it.
type cancelOnWrite struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	cancel context.CancelFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cancel()
	return w.buf.Write(p)
}

// In dev mode the starter prints a token and the command that uses it;
// that command gets the caller's greeting and a stream of ticks, health
// checks need no token, a call without one is refused, and the service
// stops when its context ends.
func TestDevModeEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout bytes.Buffer
	listening := make(chan string, 1)
	done := make(chan error, 1)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	getenv := env(map[string]string{"GRPC_ADDR": "127.0.0.1:0"})
	go func() {
		done <- run(ctx, logger, getenv, &stdout, func(addr string) { listening <- addr })
	}()
	var addr string
	select {
	case addr = <-listening:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	m := regexp.MustCompile(`call:  go run ./examples/grpc-starter call -addr (\S+) -token (\S+) Hello`).
		FindStringSubmatch(stdout.String())
	if m == nil || m[1] != addr {
		t.Fatalf("banner without the call command for %s:\n%s", addr, stdout.String())
	}
	token := m[2]

	var out bytes.Buffer
	if err := call(ctx, []string{"-addr", addr, "-token", token, "Hello"}, &out); err != nil ||
		!strings.HasPrefix(out.String(), "hello ") {
		t.Fatalf("Hello: %q, %v", out.String(), err)
	}
	if err := call(ctx, []string{"-addr", addr, "Hello"}, io.Discard); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("Hello without a token: %v", err)
	}
	streamCtx, stopStream := context.WithCancel(ctx)
	ticks := &cancelOnWrite{cancel: stopStream}
	err := call(streamCtx, []string{"-addr", addr, "-token", token, "Ticks"}, ticks)
	if status.Code(err) != codes.Canceled || !strings.Contains(ticks.buf.String(), "T") {
		t.Fatalf("Ticks: %q, %v", ticks.buf.String(), err)
	}

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := grpc_health_v1.NewHealthClient(conn).Check(ctx, &grpc_health_v1.HealthCheckRequest{})
	conn.Close()
	if err != nil || resp.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
		t.Fatalf("health without a token: %v, %v", resp, err)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after its context ended: %v", err)
	}
}

// A production configuration without an audience is refused at start; a
// bad command line is a usage error.
func TestBadConfigurationAndUsage(t *testing.T) {
	err := run(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)),
		env(map[string]string{"IDENTSPHERE_URL": "https://id.example.com"}), io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "IDENTSPHERE_AUDIENCE") {
		t.Fatalf("no audience: %v", err)
	}
	for _, args := range [][]string{nil, {"Hello", "Ticks"}, {"-nope", "Hello"}, {"Goodbye"}} {
		if err := call(context.Background(), args, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("call %q: %v", args, err)
		}
	}
}
