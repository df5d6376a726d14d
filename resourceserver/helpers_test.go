package resourceserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/redistest"
	"github.com/identsphere/identsphere-go/resourceserver"
	"github.com/identsphere/identsphere-go/stdauth"
)

// Every Server of every test is closed, and all it started has stopped,
// before the run ends.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	redistest.Report(os.Stdout)
	os.Exit(code)
}

// logBuffer is a log destination that tests read back record by record.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records returns the records whose msg is msg.
func (b *logBuffer) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(b.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// production is a Config for iss, on a free loopback port, logging to logs.
func production(iss *authtest.Issuer, logs io.Writer) resourceserver.Config {
	return resourceserver.Config{
		Issuer:   iss.URL(),
		Audience: iss.Audience(),
		Addr:     "127.0.0.1:0",
		Logger:   slog.New(slog.NewJSONHandler(logs, nil)),
	}
}

// running is a Server serving the test's routes.
type running struct {
	*resourceserver.Server
	client *http.Client
}

// serve builds cfg and serves it with a net/http mux of /readyz and a
// protected /api/me, until the test ends: then it requires a clean stop
// and closes the Server.
func serve(t *testing.T, cfg resourceserver.Config) *running {
	t.Helper()
	srv, err := resourceserver.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /readyz", srv.Readiness())
	mux.Handle("/v1/auth/", srv.LoginProxy())
	mux.Handle(
		"/api/me",
		stdauth.Middleware(
			srv.Validator(),
			srv.AuthOptions()...)(
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, _ := core.ClaimsFrom(r.Context())
				_, _ = io.WriteString(w, c.Subject)
			}),
		),
	)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, mux) }()
	r := &running{Server: srv, client: &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}}
	t.Cleanup(func() {
		r.client.CloseIdleConnections()
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(resourceserver.ShutdownTimeout + 5*time.Second):
			t.Errorf("Serve did not return after its context ended")
		}
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// answer is a response read whole.
type answer struct {
	status int
	header http.Header
	body   string
}

func (r *running) do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func (r *running) get(t *testing.T, path, token string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, r.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return r.do(t, req)
}

// waitReady waits for WaitReady, bounded.
func (r *running) waitReady(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := r.Validator().WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
}

// readiness decodes /readyz.
func (r *running) readiness(t *testing.T) (int, resourceserver.Readiness, string) {
	t.Helper()
	ans := r.get(t, "/readyz", "")
	var body resourceserver.Readiness
	if err := json.Unmarshal([]byte(ans.body), &body); err != nil {
		t.Fatalf("/readyz %d %q: %v", ans.status, ans.body, err)
	}
	return ans.status, body, ans.body
}

// eventually polls cond every 50ms until it holds or timeout passes: for
// properties with a deadline, never to wait for what can be awaited.
func eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}
