//go:build unix

// The suite stops the starters with SIGTERM, which Windows does not have.

package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// starters are the directories of the apps that obey the contract.
var starters = []string{"chi-starter", "gin-go-starter"}

// binDir holds the binaries TestMain builds, one per starter, named after
// its directory. It is set once, before any test runs.
var binDir string

// Bounds on how long the suite waits for a starter.
const (
	startTimeout = 10 * time.Second // a process to log its address (the contract's 3 s is checked where it matters)
	stopTimeout  = 10 * time.Second // a process to exit after SIGTERM
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // every test skips
	}
	dir, err := os.MkdirTemp("", "identsphere-starters-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := build()
	if code == 0 {
		code = m.Run()
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// trackSources reads every starter's files from within a test. go test
// caches a result by the files the test opened while running; the build
// runs in another process, so without this a changed starter would not
// invalidate a cached result.
func trackSources() {
	for _, name := range starters {
		sources, _ := filepath.Glob(filepath.Join(name, "*"))
		for _, f := range sources {
			_, _ = os.ReadFile(f)
		}
	}
}

// build compiles every starter once; the build cache makes reruns fast.
func build() int {
	for _, name := range starters {
		cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, name), "./"+name)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n", name, err)
			return 1
		}
	}
	return 0
}

// eachStarter runs f as a parallel subtest per starter.
func eachStarter(t *testing.T, f func(t *testing.T, bin string)) {
	t.Helper()
	trackSources()
	if testing.Short() {
		t.Skip("builds and runs the starter binaries")
	}
	t.Parallel()
	for _, name := range starters {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, filepath.Join(binDir, name))
		})
	}
}

// app is a running starter.
type app struct {
	url    string // http://host:port, as the app logged it
	addr   string // host:port
	stdout *output
	stderr *output
	client *http.Client

	exited  chan struct{} // closed once the process has exited
	waitErr error         // cmd.Wait's result, set before exited closes
}

// startApp runs the starter bin with env added to a clean environment,
// and waits for the "listening" log line. When the test ends it sends
// SIGTERM and requires a graceful exit with status 0, and that no log line
// carries a token.
func startApp(t *testing.T, bin string, env ...string) *app {
	t.Helper()
	a := &app{
		stdout: newOutput(),
		stderr: newOutput(),
		client: &http.Client{
			Transport: &http.Transport{},
			Timeout:   20 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		exited: make(chan struct{}),
	}
	cmd := exec.Command(bin)
	cmd.Env = append(cleanEnv(), env...)
	cmd.Stdout, cmd.Stderr = a.stdout, a.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		a.waitErr = cmd.Wait()
		close(a.exited)
	}()
	t.Cleanup(func() { a.stop(t, cmd) })

	line := a.waitLine(t, a.stderr, "the listening log line", startTimeout, func(line string) bool {
		var rec struct{ Msg, Addr string }
		return json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" && rec.Addr != ""
	})
	var rec struct{ Addr string }
	_ = json.Unmarshal([]byte(line), &rec)
	a.addr, a.url = rec.Addr, "http://"+rec.Addr
	return a
}

func (a *app) stop(t *testing.T, cmd *exec.Cmd) {
	defer a.client.CloseIdleConnections()
	select {
	case <-a.exited:
		t.Errorf("the app exited before the test ended: %v", a.waitErr)
	default:
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Errorf("SIGTERM: %v", err)
		}
		select {
		case <-a.exited:
			if code := cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("exit status %d after SIGTERM, want 0", code)
			}
		case <-time.After(stopTimeout):
			_ = cmd.Process.Kill()
			<-a.exited
			t.Errorf("the app did not stop within %v of SIGTERM", stopTimeout)
		}
	}
	// Every JWS starts with eyJ, the base64url of `{"`.
	if strings.Contains(a.stderr.String(), "eyJ") {
		t.Errorf("the logs carry a token")
	}
	if t.Failed() {
		t.Logf("app logs:\n%s", a.stderr)
	}
}

// cleanEnv is this process's environment without the variables the
// starters read, so that a developer's shell cannot change the outcome.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IDENTSPHERE_") && !strings.HasPrefix(kv, "ADDR=") && !strings.HasPrefix(kv, "METRICS_ADDR=") {
			env = append(env, kv)
		}
	}
	return env
}

// waitLine returns the first complete line of o that match accepts. It
// fails the test if none comes within timeout or before the process exits.
func (a *app) waitLine(t *testing.T, o *output, what string, timeout time.Duration, match func(string) bool) string {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	exited := false
	for {
		lines, changed := o.lines()
		for _, line := range lines {
			if match(line) {
				return line
			}
		}
		if exited {
			t.Fatalf("the app exited (%v) before %s\nlogs:\n%s", a.waitErr, what, a.stderr)
		}
		select {
		case <-changed:
		case <-a.exited:
			exited = true // all output is in: look once more
		case <-deadline.C:
			t.Fatalf("no %s within %v\nlogs:\n%s", what, timeout, a.stderr)
		}
	}
}

// output collects what a process writes and wakes whoever waits for it.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced at every write
}

func newOutput() *output { return &output{changed: make(chan struct{})} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	close(o.changed)
	o.changed = make(chan struct{})
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// lines returns the complete lines so far, and a channel that is closed at
// the next write.
func (o *output) lines() ([]string, <-chan struct{}) {
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

// request is one HTTP request to a starter.
type request struct {
	method string // default GET
	path   string
	auth   []string // Authorization header values
	cookie string   // the access-token cookie, if not empty
	header map[string]string
	host   string // the Host header, if not the app's address
	body   string
}

// answer is what a starter replied.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// send sends r and fails the test if no answer comes.
func (a *app) send(t *testing.T, r request) answer {
	t.Helper()
	ans, err := a.do(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	return ans
}

// do sends r; unlike send, it may be called from any goroutine.
func (a *app) do(ctx context.Context, r request) (answer, error) {
	method := r.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.url+r.path, body)
	if err != nil {
		return answer{}, err
	}
	for _, v := range r.auth {
		req.Header.Add("Authorization", v)
	}
	if r.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "identsphere_at", Value: r.cookie})
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if r.host != "" {
		req.Host = r.host
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: %w", method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: reading the body: %w", method, r.path, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// eventually calls cond every 100ms until it holds or timeout passes, and
// returns how long that took and whether it held. It is for properties
// with a deadline ("within 10 s"), never to wait for something that can be
// awaited directly.
func eventually(timeout time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if cond() {
			return time.Since(start), true
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return time.Since(start), cond()
		}
	}
}
