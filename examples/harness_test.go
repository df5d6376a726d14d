//go:build unix

// The suite stops the starters with SIGTERM, which Windows does not have.

package examples_test

import (
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
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/identsphere/identsphere-go/internal/redistest"
	"github.com/identsphere/identsphere-go/internal/starterproc"
)

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
	redistest.Report(os.Stdout)
	os.Exit(code)
}

// trackSources reads every starter's files, and resourceserver's, from
// within a test. go test
// caches a result by the files the test opened while running; the build
// runs in another process, so without this a changed starter would not
// invalidate a cached result.
func trackSources() {
	// The starters, and the production wiring they are built on.
	for _, name := range append([]string{"../resourceserver", "../resourceserver/devissuer"}, starters...) {
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
	stdout *starterproc.Output
	stderr *starterproc.Output
	client *http.Client
	proc   *starterproc.Process
}

// startApp runs the starter bin with env added to a clean environment,
// and waits for the "listening" log line. When the test ends it sends
// SIGTERM and requires a graceful exit with status 0, and that no log line
// carries a token.
func startApp(t *testing.T, bin string, env ...string) *app {
	t.Helper()
	p := starterproc.Start(t, bin, env...)
	a := &app{
		stdout: p.Stdout,
		stderr: p.Stderr,
		client: &http.Client{
			Transport: &http.Transport{},
			Timeout:   20 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		proc: p,
	}
	t.Cleanup(func() {
		a.client.CloseIdleConnections()
		p.Stop(t, stopTimeout)
	})

	line := a.waitLine(t, a.stderr, "the listening log line", startTimeout, func(line string) bool {
		var rec struct{ Msg, Addr string }
		return json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" && rec.Addr != ""
	})
	var rec struct{ Addr string }
	_ = json.Unmarshal([]byte(line), &rec)
	a.addr, a.url = rec.Addr, "http://"+rec.Addr
	return a
}

// waitLine returns the first complete line of o that match accepts. It
// fails the test if none comes within timeout or before the process exits.
func (a *app) waitLine(
	t *testing.T,
	o *starterproc.Output,
	what string,
	timeout time.Duration,
	match func(string) bool,
) string {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	exited := false
	for {
		lines, changed := o.Lines()
		for _, line := range lines {
			if match(line) {
				return line
			}
		}
		if exited {
			t.Fatalf("the app exited (%v) before %s\nlogs:\n%s", a.proc.Err(), what, a.stderr)
		}
		select {
		case <-changed:
		case <-a.proc.Exited():
			exited = true // all output is in: look once more
		case <-deadline.C:
			t.Fatalf("no %s within %v\nlogs:\n%s", what, timeout, a.stderr)
		}
	}
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
