// Package redistest runs real redis-server processes for tests: each test
// gets its own, on a free loopback port and in its own directory, stopped
// when the test ends. A test that needs Redis fails, and says how to
// install it, when redis-server is not on PATH.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server process of the test's own: a free loopback
// port, its own directory, no persistence unless asked. It is stopped when
// the test ends, and can be stopped, started again on the same port, and
// paused.
type Server struct {
	t        testing.TB
	bin      string
	dir      string
	port     int
	password string
	persist  bool

	cmd    *exec.Cmd
	exited chan struct{}
}

// Option configures Start.
type Option func(*Server)

// WithPersistence turns the append-only file on (fsync on every write), so
// a restart keeps the data.
func WithPersistence() Option { return func(r *Server) { r.persist = true } }

// WithPassword makes the server require a password.
func WithPassword(p string) Option { return func(r *Server) { r.password = p } }

// Start starts a redis-server from PATH. Without one, the test fails:
// these tests need a real Redis, and say how to get one.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not on PATH, and these tests run against a real Redis they start themselves: "+
			"install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) and run them again (%v)", err)
	}
	r := &Server{t: t, bin: bin, dir: t.TempDir()}
	for _, o := range opts {
		o(r)
	}
	var last error
	for range 5 { // another process may take the free port first
		r.port = freePort(t)
		if last = r.launch(); last == nil {
			t.Cleanup(r.Stop)
			return r
		}
	}
	t.Fatalf("starting redis-server: %v", last)
	return nil
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// launch runs the process and waits until it answers PING.
func (r *Server) launch() error {
	args := []string{
		"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--protected-mode", "yes",
		"--dir", r.dir, "--logfile", filepath.Join(r.dir, "redis.log"), "--daemonize", "no",
		"--save", "", "--appendonly", "no",
	}
	if r.persist {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	}
	if r.password != "" {
		args = append(args, "--requirepass", r.password)
	}
	cmd := exec.Command(r.bin, args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	r.cmd, r.exited = cmd, exited

	c := r.Client()
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited on port %d: %s", r.port, r.logTail())
		default:
		}
		if time.Now().After(deadline) {
			r.Stop()
			return fmt.Errorf("redis-server on port %d did not answer PING: %v; %s", r.port, err, r.logTail())
		}
		time.Sleep(10 * time.Millisecond) // polling its start, bounded by the deadline
	}
}

// Restart starts a stopped server again, on the same port and directory.
func (r *Server) Restart() {
	r.t.Helper()
	if err := r.launch(); err != nil {
		r.t.Fatalf("restarting redis-server: %v", err)
	}
}

// Stop shuts the server down (SIGTERM: the append-only file is flushed)
// and waits for it; SIGKILL if it takes more than 10s.
func (r *Server) Stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGCONT) // in case it is paused
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(10 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
	r.cmd = nil
}

// Pause freezes the process (SIGSTOP): connections stay open and
// unanswered, as with a hung Redis.
func (r *Server) Pause() {
	r.t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		r.t.Fatal(err)
	}
}

// Resume undoes Pause.
func (r *Server) Resume() {
	r.t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		r.t.Fatal(err)
	}
}

// Addr is the server's host:port.
func (r *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)) }

// URL is a redis:// URL for the server, password included.
func (r *Server) URL() string {
	if r.password != "" {
		return "redis://:" + r.password + "@" + r.Addr() + "/0"
	}
	return "redis://" + r.Addr() + "/0"
}

// Client is a plain client of the server, to look at or tamper with what
// the Store wrote. The caller closes it.
func (r *Server) Client() *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: r.Addr(), Password: r.password, DisableIdentity: true,
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1,
	})
}

func (r *Server) logTail() string {
	b, err := os.ReadFile(filepath.Join(r.dir, "redis.log"))
	if err != nil {
		return "no log: " + err.Error()
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "log: " + string(b)
}
