package authproxy_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authproxy"
)

// upstreamRequest is what the identity provider saw of one request.
type upstreamRequest struct {
	Method      string
	Path        string // decoded
	RequestURI  string // as sent on the wire
	RawQuery    string
	Host        string
	ContentType string
	Header      http.Header
	Body        []byte
	BodyErr     error
}

// provider is an identity provider stand-in on loopback that records
// every request before answering it.
type provider struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []upstreamRequest
}

// newProvider starts an identity provider that reads each request body,
// records the request, then answers with respond (or 200 and a fixed body
// when nil). A request whose body could not be read completely is recorded
// but not answered.
func newProvider(t *testing.T, respond http.HandlerFunc) *provider {
	t.Helper()
	p := &provider{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		p.mu.Lock()
		p.reqs = append(p.reqs, upstreamRequest{
			Method:      r.Method,
			Path:        r.URL.Path,
			RequestURI:  r.RequestURI,
			RawQuery:    r.URL.RawQuery,
			Host:        r.Host,
			ContentType: r.Header.Get("Content-Type"),
			Header:      r.Header.Clone(),
			Body:        body,
			BodyErr:     err,
		})
		p.mu.Unlock()
		if err != nil {
			return
		}
		if respond == nil {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"ok":true}`)
			return
		}
		respond(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *provider) requests() []upstreamRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.reqs)
}

// only returns the one request the provider received.
func (p *provider) only(t *testing.T) upstreamRequest {
	t.Helper()
	reqs := p.requests()
	if len(reqs) != 1 {
		t.Fatalf("provider received %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// serveProxy serves a Proxy built from cfg on loopback.
func serveProxy(t *testing.T, cfg authproxy.Config) *httptest.Server {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p, err := authproxy.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s := httptest.NewServer(p)
	t.Cleanup(s.Close)
	return s
}

// clientRequest describes a request to the proxy. Path is sent on the wire
// exactly as written, dot segments and percent-encoding included.
type clientRequest struct {
	Method string
	Path   string
	Query  string
	Body   io.Reader
	Length int64 // Content-Length; -1 sends the body chunked
	Header http.Header
}

// send makes the request to srv with a real client that does not follow
// redirects, and returns the response with its body read.
func send(t *testing.T, srv *httptest.Server, req clientRequest) (*http.Response, []byte) {
	t.Helper()
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	r, err := http.NewRequestWithContext(t.Context(), method, srv.URL, req.Body)
	if err != nil {
		t.Fatal(err)
	}
	// Opaque is written to the request line verbatim: http.Client would
	// otherwise re-encode the path.
	r.URL.Opaque, r.URL.RawQuery = req.Path, req.Query
	if req.Body != nil {
		r.ContentLength = req.Length
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	client := *srv.Client()
	client.Timeout = 10 * time.Second
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", method, req.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, req.Path, err)
	}
	return resp, body
}

// checkError asserts a JSON error answer from the proxy itself, which must
// not mention any of leaks.
func checkError(t *testing.T, resp *http.Response, body []byte, status int, code string, leaks ...string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	var got map[string]string
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body is not a JSON object of strings: %v: %s", err, body)
	}
	if len(got) != 2 || got["error"] != code || got["error_description"] == "" {
		t.Errorf("body = %s, want error %q and a description only", body, code)
	}
	for _, leak := range leaks {
		if leak != "" && bytes.Contains(body, []byte(leak)) {
			t.Errorf("body %s reveals %q", body, leak)
		}
	}
}

// upstreamInternals are strings no error body may contain: the provider's
// address and typical Go error text.
func upstreamInternals(p *httptest.Server) []string {
	u, _ := url.Parse(p.URL)
	return []string{u.Host, u.Port(), "127.0.0.1", "dial", "tcp", "refused", "context", "EOF", "http:", "net/"}
}

// lockedBuffer is a log sink that may be written by the server's goroutines
// and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
