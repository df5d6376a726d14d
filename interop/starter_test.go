package interop_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/internal/starterproc"
)

// Bounds on how long a starter may take.
const (
	startTimeout = 15 * time.Second // to answer /healthz
	stopTimeout  = 10 * time.Second // to exit after SIGTERM
)

// starter is a running starter binary.
type starter struct {
	url  string
	proc *starterproc.Process
}

// startStarter runs the starter name (a directory of examples/) with env,
// the variables its README documents, on a free loopback port, and returns
// once it answers /healthz. When the test ends it sends SIGTERM and requires
// a graceful exit with status 0, and that no log line carries a token.
func startStarter(t *testing.T, name string, env ...string) *starter {
	t.Helper()
	// The port is found free and then handed to the starter through ADDR;
	// should another process take it in between, the starter exits and is
	// started again on another.
	for attempt := 1; ; attempt++ {
		s, err := tryStarter(t, name, freeAddr(t), env)
		if err == nil {
			return s
		}
		if attempt == 3 || !strings.Contains(s.proc.Stderr.String(), "address already in use") {
			t.Fatalf("%s: %v\nlogs:\n%s", name, err, s.proc.Stderr)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// tryStarter starts the process once; on error the process has exited.
func tryStarter(t *testing.T, name, addr string, env []string) (*starter, error) {
	s := &starter{
		url:  "http://" + addr,
		proc: starterproc.Start(t, filepath.Join(binDir, name), append(env, "ADDR="+addr)...),
	}
	healthy := func() bool {
		resp, err := plainClient.Get(s.url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	deadline := time.Now().Add(startTimeout)
	for !healthy() {
		select {
		case <-s.proc.Exited():
			return s, errExited{s.proc.Err()}
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.proc.Kill()
			return s, errTimeout("no 200 from /healthz within " + startTimeout.String())
		}
	}
	t.Cleanup(func() { s.proc.Stop(t, stopTimeout) })
	return s, nil
}

type errExited struct{ err error }

func (e errExited) Error() string { return "the starter exited: " + errString(e.err) }

type errTimeout string

func (e errTimeout) Error() string { return string(e) }

func errString(err error) string {
	if err == nil {
		return "status 0"
	}
	return err.Error()
}

// waitReady polls /readyz, which the README documents as 200 once the
// issuer's keys are loaded.
func (s *starter) waitReady(ctx context.Context) error {
	return poll(ctx, func() bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/readyz", nil)
		resp, err := plainClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// syncBuffer collects a process's or a logger's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
