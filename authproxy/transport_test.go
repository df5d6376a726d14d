package authproxy_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authproxy"
)

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	idp := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done(): // the proxy gave up and closed the connection
		}
	})
	t.Cleanup(func() { close(release) }) // runs before idp.Close
	var logs lockedBuffer
	srv := serveProxy(t, authproxy.Config{
		Issuer:  idp.URL,
		Timeout: 50 * time.Millisecond,
		Logger:  slog.New(slog.NewJSONHandler(&logs, nil)),
	})

	start := time.Now()
	resp, body := send(
		t,
		srv,
		clientRequest{Method: http.MethodPost, Path: "/v1/auth/login", Body: strings.NewReader("{}"), Length: 2},
	)
	checkError(t, resp, body, http.StatusGatewayTimeout, "gateway_timeout", upstreamInternals(idp.Server)...)
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("answered after %v; the timeout was 50ms", elapsed)
	}

	var rec struct {
		Level  string
		Path   string
		Status int
	}
	if err := json.Unmarshal([]byte(logs.String()), &rec); err != nil {
		t.Fatalf("want exactly one JSON log record, got %q: %v", logs.String(), err)
	}
	if rec.Level != "WARN" || rec.Path != "/v1/auth/login" || rec.Status != http.StatusGatewayTimeout {
		t.Errorf("log record %+v, want WARN /v1/auth/login 504", rec)
	}
}

func TestTimeoutSparesResponseBody(t *testing.T) {
	finish, hold := make(chan struct{}), make(chan struct{})
	finishOnce := sync.OnceFunc(func() { close(finish) })
	idp := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/auth/stream" {
			select {
			case <-hold:
			case <-r.Context().Done():
			}
			return
		}
		_, _ = io.WriteString(w, "first ")
		_ = http.NewResponseController(w).Flush()
		select {
		case <-finish:
			_, _ = io.WriteString(w, "second")
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { finishOnce(); close(hold) }) // before idp.Close
	// The streaming request must get its headers within Timeout, so Timeout
	// is far longer than a round trip on a busy machine (50ms was not); the
	// slow request below waits it out once.
	srv := serveProxy(t, authproxy.Config{Issuer: idp.URL, Timeout: 2 * time.Second})

	r, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/v1/auth/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	// A request started now that times out proves that a full Timeout has
	// passed since the streaming request got its headers.
	slow, body := send(t, srv, clientRequest{Path: "/v1/auth/slow"})
	checkError(t, slow, body, http.StatusGatewayTimeout, "gateway_timeout")

	first := make([]byte, len("first "))
	if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "first " {
		t.Fatalf("body starts %q, error %v; want %q", first, err, "first ")
	}
	finishOnce()
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "second" {
		t.Errorf("body goes on %q, error %v; want the rest of it despite the timeout", rest, err)
	}
}

// within returns the next value from ch, failing the test if there is none
// in a time long enough to mean that something is stuck.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// recordChan is a slog.Handler that hands every record to the test.
type recordChan chan slog.Record

func (c recordChan) Enabled(context.Context, slog.Level) bool { return true }

func (c recordChan) Handle(_ context.Context, r slog.Record) error { c <- r; return nil }

func (c recordChan) WithAttrs([]slog.Attr) slog.Handler { return c }

func (c recordChan) WithGroup(string) slog.Handler { return c }

func TestClientGoesAway(t *testing.T) {
	arrived, abandoned := make(chan struct{}), make(chan struct{})
	idp := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
		close(abandoned)
	})
	records := make(recordChan, 8)
	srv := serveProxy(t, authproxy.Config{Issuer: idp.URL, Logger: slog.New(records)})

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/auth/login", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := srv.Client().Do(r)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	within(t, arrived, "the provider to get the request")
	cancel()
	if err := within(t, done, "the client to give up"); !errors.Is(err, context.Canceled) {
		t.Errorf("client got %v, want its own cancellation", err)
	}
	within(t, abandoned, "the proxy to abandon its upstream request")
	rec := within(t, records, "a log record")
	if rec.Level != slog.LevelDebug {
		t.Errorf("logged %q at %v, want Debug: a client leaving is no failure", rec.Message, rec.Level)
	}
}

func TestUnreachable(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + closed.Addr().String()
	closed.Close()

	reset := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler) // close the connection without an answer
	}))
	t.Cleanup(reset.Close)

	noDNS := &http.Transport{DialContext: (&net.Dialer{Resolver: &net.Resolver{
		PreferGo: true,
		Dial: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("no DNS server in this test")
		},
	}}).DialContext}
	t.Cleanup(noDNS.CloseIdleConnections)

	tests := []struct {
		name      string
		issuer    string
		transport http.RoundTripper
	}{
		{"connection refused", refused, nil},
		{"connection reset", reset.URL, nil},
		{"DNS failure", "http://id.example.invalid", noDNS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serveProxy(t, authproxy.Config{Issuer: tt.issuer, Transport: tt.transport})
			resp, body := send(
				t,
				srv,
				clientRequest{
					Method: http.MethodPost,
					Path:   "/v1/auth/login",
					Body:   strings.NewReader("{}"),
					Length: 2,
				},
			)
			u, _ := url.Parse(tt.issuer)
			leaks := append(upstreamInternals(srv), u.Host, u.Port(), "example.invalid", "no DNS", "reset")
			checkError(t, resp, body, http.StatusBadGateway, "bad_gateway", leaks...)
		})
	}
}
