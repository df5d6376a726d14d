// Package redistest gives each test a Redis of its own, stopped when the
// test ends: a redis-server process on a free loopback port when one is on
// PATH, else an in-process server that speaks the Redis protocol
// (miniredis), so that the suite passes on a machine with Go alone. Both
// run the same tests. A test whose subject only a real server can show
// (a frozen process, say) asks for one with RequireReal; without one it
// records what it did not cover, and the package's TestMain prints that
// once with Report.
//
// With IDENTSPHERE_REQUIRE_REDIS=1 (CI sets it) the real server is
// mandatory: every test runs against redis-server, and a missing one fails
// the test.
package redistest

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RequireEnv names the variable that makes a real redis-server mandatory
// when set to 1.
const RequireEnv = "IDENTSPHERE_REQUIRE_REDIS"

// Server is a Redis of the test's own: a free loopback port, no
// persistence unless asked. It is stopped when the test ends, and can be
// stopped and started again on the same port (a restart loses the data
// unless WithPersistence), and, when real, paused.
type Server struct {
	t        testing.TB
	port     int
	password string
	persist  bool

	proc *process  // a redis-server, or nil
	mem  *inMemory // the in-process server, when proc is nil
}

// Option configures Start.
type Option func(*Server)

// WithPersistence makes a restart keep the data: the append-only file
// (fsync on every write) for redis-server.
func WithPersistence() Option { return func(r *Server) { r.persist = true } }

// WithPassword makes the server require a password.
func WithPassword(p string) Option { return func(r *Server) { r.password = p } }

// Start starts a Redis for t: redis-server from PATH if there is one, else
// the in-process server; with IDENTSPHERE_REQUIRE_REDIS=1 and no
// redis-server, the test fails and says how to install it.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	r := &Server{t: t}
	for _, o := range opts {
		o(r)
	}
	bin, err := exec.LookPath("redis-server")
	switch {
	case err == nil:
		r.startProcess(bin)
	case Required():
		t.Fatalf(
			"%s=1 and redis-server is not on PATH: install it (Debian/Ubuntu: "+
				"apt-get install -y redis-server; macOS: brew install redis) (%v)",
			RequireEnv,
			err,
		)
	default:
		r.startInMemory()
	}
	return r
}

// Required reports whether IDENTSPHERE_REQUIRE_REDIS=1 makes a real
// redis-server mandatory.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Real reports whether r is a redis-server process.
func (r *Server) Real() bool { return r.proc != nil }

// Stop shuts the server down: every connection is closed.
func (r *Server) Stop() {
	if r.proc != nil {
		r.proc.stop()
		return
	}
	r.mem.stop()
}

// Restart starts a stopped server again, on the same port; without
// WithPersistence its data is gone, as with a real Redis.
func (r *Server) Restart() {
	r.t.Helper()
	var err error
	if r.proc != nil {
		err = r.proc.launch(r)
	} else {
		err = r.mem.restart(r.persist)
	}
	if err != nil {
		r.t.Fatalf("restarting Redis: %v", err)
	}
}

// Pause freezes a redis-server (SIGSTOP): connections stay open and
// unanswered, as with a hung Redis. Only a real server can: call
// RequireReal first.
func (r *Server) Pause() {
	r.t.Helper()
	r.signal(pause)
}

// Resume undoes Pause.
func (r *Server) Resume() {
	r.t.Helper()
	r.signal(resume)
}

func (r *Server) signal(what signal) {
	r.t.Helper()
	if r.proc == nil {
		r.t.Fatal("redistest: only a redis-server process can be paused: the test must call RequireReal first")
	}
	if err := r.proc.signal(what); err != nil {
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
// the code under test wrote. The caller closes it.
func (r *Server) Client() *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: r.Addr(), Password: r.password, DisableIdentity: true,
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1,
	})
}
