//go:build unix

// The test stops the fleet with SIGTERM, which Windows does not have.

package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/identsphere/identsphere-go/internal/redistest"
	"github.com/identsphere/identsphere-go/internal/starterproc"
)

// Bounds on how long the test waits for the fleet.
const (
	startTimeout = 30 * time.Second // build cache warm: the fleet starts in a second
	stopTimeout  = 20 * time.Second // a graceful stop of every part after SIGTERM
)

// bin is the fleet command, built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "identsphere-fleet-")
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	bin = filepath.Join(dir, "fleet")
	code := 0
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		os.Stderr.WriteString("go build: " + err.Error() + "\n" + string(out))
		code = 1
	}
	if code == 0 {
		code = m.Run()
	}
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	redistest.Report(os.Stdout)
	os.Exit(code)
}

// The fleet in one command: run it, read what it prints, run the printed
// requests in order and get the statuses it announces (the token passes on
// both replicas, the logout is taken by the first, then both refuse the
// token), then SIGTERM stops everything with status 0, redis-server too.
func TestFleetPrintsRequestsThatShowALogoutOnEveryReplica(t *testing.T) {
	if !redistest.RequireReal(t, "the fleet command runs redis-server from PATH") {
		return
	}
	p := starterproc.Start(t, bin)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			p.Kill()
		}
	})
	out := waitFor(t, p, "Ctrl-C stops everything.")

	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^([A-Z]+)=(\S+)$`).FindAllStringSubmatch(out, -1) {
		vars[m[1]] = m[2]
	}
	if !strings.HasPrefix(vars["TOKEN"], "eyJ") || !strings.HasPrefix(vars["LOGOUT"], "eyJ") {
		t.Fatalf("no TOKEN and LOGOUT in:\n%s", out)
	}
	redisAddr := field(t, out, "redis")
	if field(t, out, "replica 1") == field(t, out, "replica 2") {
		t.Fatalf("one address for both replicas:\n%s", out)
	}

	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	ran := 0
	want := 0
	for line := range strings.SplitSeq(out, "\n") {
		if m := regexp.MustCompile(`^# \d\..*\((\d{3})\):$`).FindStringSubmatch(line); m != nil {
			want, _ = strconv.Atoi(m[1])
			continue
		}
		if !strings.HasPrefix(line, "curl ") {
			continue
		}
		req := curlRequest(t, line, vars)
		// The logout reaches the other replica through Redis: at once on
		// the one it was posted to, within seconds on the other.
		refusalMayLag := want == http.StatusUnauthorized
		deadline := time.Now().Add(5 * time.Second)
		got := status(t, client, req)
		for got != want && refusalMayLag && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond) // bounded poll for the pub/sub delivery
			got = status(t, client, req)
		}
		if got != want {
			t.Errorf("%s: %d, want %d", line, got, want)
		}
		ran++
	}
	if ran != 5 {
		t.Errorf("ran %d curl lines, want 5 (two before, the logout, two after):\n%s", ran, out)
	}

	stopped = true
	p.Stop(t, stopTimeout)
	var d net.Dialer
	if c, err := d.DialContext(t.Context(), "tcp", redisAddr); err == nil {
		c.Close()
		t.Errorf("redis-server still listens at %s after the fleet stopped", redisAddr)
	}
}

// Without redis-server on PATH the fleet says what to install, and exits
// non-zero without starting anything.
func TestFleetWithoutRedisSaysWhatToInstall(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(starterproc.CleanEnv(), "PATH="+t.TempDir())
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() <= 0 {
		t.Fatalf("exit: %v, want a non-zero status", err)
	}
	if !strings.Contains(stderr.String(), "redis-server is not on PATH") ||
		!strings.Contains(stderr.String(), "apt-get install -y redis-server") {
		t.Errorf("stderr does not say what to install: %s", stderr.String())
	}
	if stdout.Len() > 0 {
		t.Errorf("the fleet printed a banner without Redis:\n%s", stdout.String())
	}
}

// waitFor returns the fleet's stdout once it holds last, failing the test
// if the process exits first or startTimeout passes.
func waitFor(t *testing.T, p *starterproc.Process, last string) string {
	t.Helper()
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	for {
		lines, changed := p.Stdout.Lines()
		for _, l := range lines {
			if l == last {
				return p.Stdout.String()
			}
		}
		select {
		case <-changed:
		case <-p.Exited():
			t.Fatalf("the fleet exited (%v) before printing %q\nstderr:\n%s", p.Err(), last, p.Stderr)
		case <-deadline.C:
			t.Fatalf("no %q within %v\nstdout:\n%s\nstderr:\n%s", last, startTimeout, p.Stdout, p.Stderr)
		}
	}
}

// field is the value printed after "name:".
func field(t *testing.T, out, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `:\s+(\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %s line in:\n%s", name, out)
	}
	return m[1]
}

// curlRequest is the request a printed curl line sends, its $VARIABLES
// expanded as a shell would: -H adds a header, -d posts a form.
func curlRequest(t *testing.T, line string, vars map[string]string) *http.Request {
	t.Helper()
	expanded := os.Expand(line, func(k string) string { return vars[k] })
	m := regexp.MustCompile(`^curl (-H|-d) "([^"]*)" (\S+)$`).FindStringSubmatch(expanded)
	if m == nil {
		t.Fatalf("a curl line this test cannot read: %s", line)
	}
	method, body := http.MethodGet, ""
	if m[1] == "-d" {
		method, body = http.MethodPost, m[2]
	}
	req, err := http.NewRequestWithContext(t.Context(), method, m[3], strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if m[1] == "-H" {
		name, value, _ := strings.Cut(m[2], ": ")
		req.Header.Set(name, value)
	} else {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

func status(t *testing.T, c *http.Client, req *http.Request) int {
	t.Helper()
	r := req.Clone(req.Context())
	if req.GetBody != nil {
		r.Body, _ = req.GetBody()
	}
	resp, err := c.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
