package interop_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds on how long a starter may take.
const (
	startTimeout = 15 * time.Second // to answer /healthz
	stopTimeout  = 10 * time.Second // to exit after SIGTERM
)

// starter is a running starter binary.
type starter struct {
	url    string
	stderr *syncBuffer

	exited  chan struct{} // closed once the process has exited
	waitErr error         // cmd.Wait's result, set before exited closes
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
		if attempt == 3 || !strings.Contains(s.stderr.String(), "address already in use") {
			t.Fatalf("%s: %v\nlogs:\n%s", name, err, s.stderr)
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
	s := &starter{url: "http://" + addr, stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd := exec.Command(filepath.Join(binDir, name))
	cmd.Env = append(cleanEnv(), append(env, "ADDR="+addr)...)
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
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
		case <-s.exited:
			return s, errExited{s.waitErr}
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-s.exited
			return s, errTimeout("no 200 from /healthz within " + startTimeout.String())
		}
	}
	t.Cleanup(func() { s.stop(t, cmd) })
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

func (s *starter) stop(t *testing.T, cmd *exec.Cmd) {
	select {
	case <-s.exited:
		t.Errorf("the starter exited before the test ended: %s", errString(s.waitErr))
	default:
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Errorf("SIGTERM: %v", err)
		}
		select {
		case <-s.exited:
			if code := cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("exit status %d after SIGTERM, want 0", code)
			}
		case <-time.After(stopTimeout):
			_ = cmd.Process.Kill()
			<-s.exited
			t.Errorf("the starter did not stop within %v of SIGTERM", stopTimeout)
		}
	}
	// Every JWS starts with eyJ, the base64url of `{"`.
	if strings.Contains(s.stderr.String(), "eyJ") {
		t.Errorf("the starter's logs carry a token")
	}
	if t.Failed() {
		t.Logf("starter logs:\n%s", s.stderr)
	}
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

// cleanEnv is this process's environment without the variables the
// starters read, so that a developer's shell cannot change the outcome.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IDENTSPHERE_") && !strings.HasPrefix(kv, "ADDR=") {
			env = append(env, kv)
		}
	}
	return env
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
