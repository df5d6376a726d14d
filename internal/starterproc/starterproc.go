// Package starterproc runs a starter binary for the end-to-end tests of
// examples/ and interop/: in a clean environment, its output collected,
// and stopped the way an orchestrator stops it (SIGTERM), which must end
// it gracefully, with status 0 and no token in its logs.
package starterproc

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is a running starter.
type Process struct {
	Stdout, Stderr *Output

	cmd     *exec.Cmd
	exited  chan struct{} // closed once the process has exited
	waitErr error         // cmd.Wait's result, set before exited closes
}

// Start runs bin with env added to CleanEnv. The caller stops it: Stop
// once it is of use (usually in t.Cleanup), Kill if it never became so.
func Start(t testing.TB, bin string, env ...string) *Process {
	t.Helper()
	p := &Process{Stdout: NewOutput(), Stderr: NewOutput(), exited: make(chan struct{})}
	p.cmd = exec.Command(bin)
	p.cmd.Env = append(CleanEnv(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.Stdout, p.Stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	return p
}

// Exited is closed once the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Err is how the process exited; meaningful once Exited is closed.
func (p *Process) Err() error { return p.waitErr }

// Kill ends a process that never became of use and waits for it.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// Stop sends SIGTERM and fails t unless the process exits within timeout
// with status 0, or if it had exited already; and if any log line carries
// a token. On failure it logs the process's standard error.
func (p *Process) Stop(t testing.TB, timeout time.Duration) {
	select {
	case <-p.exited:
		t.Errorf("the process exited before the test ended: %v", p.waitErr)
	default:
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Errorf("SIGTERM: %v", err)
		}
		select {
		case <-p.exited:
			if code := p.cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("exit status %d after SIGTERM, want 0", code)
			}
		case <-time.After(timeout):
			p.Kill()
			t.Errorf("the process did not stop within %v of SIGTERM", timeout)
		}
	}
	// Every JWS starts with eyJ, the base64url of `{"`.
	if strings.Contains(p.Stderr.String(), "eyJ") {
		t.Errorf("the logs carry a token")
	}
	if t.Failed() {
		t.Logf("logs:\n%s", p.Stderr)
	}
}

// CleanEnv is this process's environment without the variables the
// starters read, so that a developer's shell cannot change the outcome.
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IDENTSPHERE_") && !strings.HasPrefix(kv, "ADDR=") &&
			!strings.HasPrefix(kv, "METRICS_ADDR=") {
			env = append(env, kv)
		}
	}
	return env
}

// Output collects what a process writes and wakes whoever waits for it.
type Output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced at every write
}

// NewOutput returns an empty Output.
func NewOutput() *Output { return &Output{changed: make(chan struct{})} }

// Write implements io.Writer.
func (o *Output) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	close(o.changed)
	o.changed = make(chan struct{})
	return o.buf.Write(b)
}

// String is everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Lines returns the complete lines so far, and a channel that is closed at
// the next write.
func (o *Output) Lines() ([]string, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(o.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if n := len(lines); n > 0 && !bytes.HasSuffix(o.buf.Bytes(), []byte("\n")) {
		lines = lines[:n-1] // the last one is still being written
	}
	return lines, o.changed
}
