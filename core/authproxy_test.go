package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"
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

// authUpstream is an identity provider stand-in on loopback that records
// every request before answering it.
type authUpstream struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []upstreamRequest
}

// newAuthUpstream starts an identity provider that reads each request
// body, records the request, then answers with respond (or 200 and a fixed
// body when nil). A request whose body could not be read completely is
// recorded but not answered.
func newAuthUpstream(t *testing.T, respond http.HandlerFunc) *authUpstream {
	t.Helper()
	p := &authUpstream{}
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

func (p *authUpstream) requests() []upstreamRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.reqs)
}

// only returns the one request the provider received.
func (p *authUpstream) only(t *testing.T) upstreamRequest {
	t.Helper()
	reqs := p.requests()
	if len(reqs) != 1 {
		t.Fatalf("provider received %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// serveAuthProxy serves an AuthProxy built from cfg on loopback.
func serveAuthProxy(t *testing.T, cfg core.AuthProxyConfig) *httptest.Server {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p, err := core.NewAuthProxy(cfg)
	if err != nil {
		t.Fatalf("NewAuthProxy: %v", err)
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

// sendToProxy makes the request to srv with a real client that does not
// follow redirects, and returns the response with its body read.
func sendToProxy(t *testing.T, srv *httptest.Server, req clientRequest) (*http.Response, []byte) {
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

// checkAuthProxyError asserts a JSON error answer from the proxy itself,
// which must not mention any of leaks.
func checkAuthProxyError(t *testing.T, resp *http.Response, body []byte, status int, code string, leaks ...string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
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

func TestAuthProxyForwardsAllowedPaths(t *testing.T) {
	tests := []struct {
		name, method, path, query, body, contentType string
		issuerPath                                   string
		wantPath, wantRequestURI                     string
	}{
		{
			name: "login", method: http.MethodPost, path: "/v1/auth/login",
			query: "next=%2Fhome&lang=en", body: `{"email":"a@example.com","password":"pw"}`,
			contentType: "application/json", wantPath: "/v1/auth/login",
			wantRequestURI: "/v1/auth/login?next=%2Fhome&lang=en",
		},
		{
			name: "signup form", method: http.MethodPost, path: "/v1/auth/signup",
			body: "email=a%40example.com", contentType: "application/x-www-form-urlencoded",
			wantPath: "/v1/auth/signup", wantRequestURI: "/v1/auth/signup",
		},
		{
			name: "dot segment", method: http.MethodGet, path: "/v1/auth/./session",
			wantPath: "/v1/auth/session", wantRequestURI: "/v1/auth/session",
		},
		{
			name: "double slash", method: http.MethodDelete, path: "/v1/auth//sessions/current",
			wantPath: "/v1/auth/sessions/current", wantRequestURI: "/v1/auth/sessions/current",
		},
		{
			name: "dot-dot staying inside", method: http.MethodPut, path: "/v1/auth/x/../refresh",
			wantPath: "/v1/auth/refresh", wantRequestURI: "/v1/auth/refresh",
		},
		{
			name: "encoded slash is decoded once", method: http.MethodGet, path: "/v1/auth/oauth%2Fgoogle",
			wantPath: "/v1/auth/oauth/google", wantRequestURI: "/v1/auth/oauth/google",
		},
		{
			name: "canonical encoding upstream", method: http.MethodGet, path: "/v1/auth/%6cogin%7e%3f%23%22",
			wantPath: `/v1/auth/login~?#"`, wantRequestURI: "/v1/auth/login~%3F%23%22",
		},
		{
			name: "trailing slash kept", method: http.MethodGet, path: "/v1/auth/logout/",
			wantPath: "/v1/auth/logout/", wantRequestURI: "/v1/auth/logout/",
		},
		{
			name: "issuer path prefix", method: http.MethodPost, path: "/v1/auth/refresh",
			issuerPath: "/idp/", wantPath: "/idp/v1/auth/refresh", wantRequestURI: "/idp/v1/auth/refresh",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := newAuthUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Provider", "yes")
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, "provider says hi")
			})
			srv := serveAuthProxy(t, core.AuthProxyConfig{Issuer: idp.URL + tt.issuerPath})

			req := clientRequest{Method: tt.method, Path: tt.path, Query: tt.query, Header: http.Header{}}
			if tt.body != "" {
				req.Body, req.Length = strings.NewReader(tt.body), int64(len(tt.body))
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, body := sendToProxy(t, srv, req)

			if resp.StatusCode != http.StatusCreated || string(body) != "provider says hi" ||
				resp.Header.Get("X-Provider") != "yes" || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
				t.Errorf("client got %d %q %v, want the provider's answer unchanged", resp.StatusCode, body, resp.Header)
			}
			got := idp.only(t)
			if got.Method != tt.method || got.Path != tt.wantPath || got.RequestURI != tt.wantRequestURI ||
				got.RawQuery != tt.query || string(got.Body) != tt.body || got.ContentType != tt.contentType {
				t.Errorf("provider got %s %q (wire %q) query %q body %q type %q,\nwant %s %q (wire %q) query %q body %q type %q",
					got.Method, got.Path, got.RequestURI, got.RawQuery, got.Body, got.ContentType,
					tt.method, tt.wantPath, tt.wantRequestURI, tt.query, tt.body, tt.contentType)
			}
			if want := strings.TrimPrefix(idp.URL, "http://"); got.Host != want {
				t.Errorf("provider got Host %q, want its own %q", got.Host, want)
			}
		})
	}
}

func TestAuthProxyAllowList(t *testing.T) {
	tests := []struct {
		path    string
		forward bool
	}{
		{"/v1/auth/login", true},
		{"/v1/auth/./login", true},
		{"/v1/auth/oauth/google", true},
		{"/v1/auth/oauth/google/callback", true},
		{"/v1/auth/oauth/", true},
		{"/v1/auth/login/", false},
		{"/v1/auth/login2", false},
		{"/v1/auth/signup", false},
		{"/v1/auth/oauth", false},
		{"/v1/auth/", false},
		{"/v1/auth/oauth/../signup", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			idp := newAuthUpstream(t, nil)
			srv := serveAuthProxy(t, core.AuthProxyConfig{
				Issuer:       idp.URL,
				AllowedPaths: []string{"/v1/auth/login", "/v1/auth/oauth/"},
			})
			resp, body := sendToProxy(t, srv, clientRequest{Path: tt.path})
			n := len(idp.requests())
			if tt.forward {
				if resp.StatusCode != http.StatusOK || n != 1 {
					t.Errorf("status %d, provider reached %d times; want 200 and 1", resp.StatusCode, n)
				}
				return
			}
			checkAuthProxyError(t, resp, body, http.StatusNotFound, "not_found", upstreamInternals(idp.Server)...)
			if n != 0 {
				t.Errorf("provider reached %d times, want 0", n)
			}
		})
	}
}

func TestAuthProxyRefusesPathsOutsideAuth(t *testing.T) {
	paths := []string{
		"/v1/auth/../admin",
		"/v1/auth/../../admin",
		"/v1/auth/..",
		"/v1/auth/..%2f..%2fadmin",
		"/v1/auth/..%2F..%2Fadmin",
		"/v1/auth/%2e%2e/x",
		"/v1/auth/%2E%2E/x",
		"/v1/auth/.%2e/x",
		"/v1/auth/%2e%2e%2fadmin",
		"/v1/auth/%252e%252e/admin", // double encoding
		"/v1/auth/%25",
		"/v1/auth/..%5cadmin",               // encoded backslash
		`/v1/auth/..\admin`,                 // literal backslash
		"/v1/auth/..;/admin",                // Java path parameter
		"/v1/auth/login%3b..",               // encoded semicolon
		"/v1/auth/login%00",                 // NUL
		"/v1/auth/login%0d%0a",              // CR LF
		"/v1/auth/login%09",                 // tab
		"/v1/auth/login%7f",                 // DEL
		"/v1/auth/a%20b",                    // space
		"/v1/auth/%ef%bc%8e%ef%bc%8e/admin", // fullwidth full stops
		"/v1/auth/login%c0%af",              // overlong UTF-8 slash
		"/v1/auth/login%ff",                 // not UTF-8
		"/v1/auth",
		"/v1/authx/login",
		"/v1/Auth/login",
		"/admin",
		"/",
	}
	idp := newAuthUpstream(t, nil)
	srv := serveAuthProxy(t, core.AuthProxyConfig{Issuer: idp.URL})
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			resp, body := sendToProxy(t, srv, clientRequest{Path: p, Header: http.Header{"Authorization": {"Bearer app-token"}}})
			checkAuthProxyError(t, resp, body, http.StatusBadRequest, "invalid_request", upstreamInternals(idp.Server)...)
		})
	}
	if n := len(idp.requests()); n != 0 {
		t.Errorf("provider reached %d times, want 0", n)
	}
}

func TestAuthProxyRefusesUpgrade(t *testing.T) {
	tests := map[string]http.Header{
		"websocket":            {"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"}, "Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}},
		"h2c":                  {"Connection": {"Upgrade, HTTP2-Settings"}, "Upgrade": {"h2c"}, "Http2-Settings": {"AAMAAABkAAQAAP__"}},
		"upgrade header alone": {"Upgrade": {"foo/1"}},
		"connection upgrade":   {"Connection": {"keep-alive,  UPGRADE "}},
	}
	idp := newAuthUpstream(t, nil)
	srv := serveAuthProxy(t, core.AuthProxyConfig{Issuer: idp.URL})
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := sendToProxy(t, srv, clientRequest{Path: "/v1/auth/login", Header: h})
			checkAuthProxyError(t, resp, body, http.StatusBadRequest, "invalid_request", upstreamInternals(idp.Server)...)
		})
	}
	if n := len(idp.requests()); n != 0 {
		t.Errorf("provider reached %d times, want 0", n)
	}
}

func TestAuthProxyRequestHeaders(t *testing.T) {
	forged := http.Header{
		// Forwarding headers a client could forge.
		"X-Forwarded-For":    {"203.0.113.7"},
		"X-Forwarded-Host":   {"evil.example"},
		"X-Forwarded-Proto":  {"https"},
		"X-Forwarded-Prefix": {"/evil"},
		"X-Forwarded-Port":   {"8443"},
		"Forwarded":          {"for=203.0.113.7;host=evil.example;proto=https"},
		"X-Real-Ip":          {"203.0.113.7"},
		"True-Client-Ip":     {"203.0.113.7"},
		"X-Original-Url":     {"/admin"},
		"X-Real_ip":          {"203.0.113.7"},
		"X_forwarded_for":    {"203.0.113.7"},
		// The application's own credential.
		"Authorization": {"Bearer app-token"},
		// Hop-by-hop headers, including one named by Connection.
		"Connection":          {"X-Custom"},
		"X-Custom":            {"hop"},
		"Keep-Alive":          {"timeout=5"},
		"Te":                  {"gzip"},
		"Proxy-Authorization": {"Basic dXNlcjpwYXNz"},
		// What the provider needs.
		"Cookie":       {"idp_refresh=r1; idp_csrf=c1"},
		"X-Csrf-Token": {"c1"},
		"Origin":       {"https://app.example.test"},
		"User-Agent":   {"test-agent/1"},
	}
	for _, forwardedHost := range []string{"", "app.example.test"} {
		t.Run("ForwardedHost="+forwardedHost, func(t *testing.T) {
			idp := newAuthUpstream(t, nil)
			srv := serveAuthProxy(t, core.AuthProxyConfig{Issuer: idp.URL, ForwardedHost: forwardedHost})
			resp, _ := sendToProxy(t, srv, clientRequest{Method: http.MethodPost, Path: "/v1/auth/refresh", Header: forged})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			h := idp.only(t).Header

			// The client's address as the proxy saw it: both are on loopback.
			clientIP := strings.TrimPrefix(srv.URL, "http://")
			clientIP, _, _ = net.SplitHostPort(clientIP)
			want := map[string]string{
				"X-Forwarded-For":   clientIP,
				"X-Forwarded-Proto": "http",
				"X-Forwarded-Host":  forwardedHost,
				"Cookie":            "idp_refresh=r1; idp_csrf=c1",
				"X-Csrf-Token":      "c1",
				"Origin":            "https://app.example.test",
				"User-Agent":        "test-agent/1",
			}
			for name, v := range want {
				if got := h.Values(name); v == "" && len(got) != 0 || v != "" && !slices.Equal(got, []string{v}) {
					t.Errorf("provider got %s %q, want %q", name, got, v)
				}
			}
			for _, name := range []string{
				"X-Forwarded-Prefix", "X-Forwarded-Port", "Forwarded", "X-Real-Ip", "True-Client-Ip", "X-Original-Url",
				"X-Real_ip", "X_forwarded_for",
				"Authorization", "Connection", "X-Custom", "Keep-Alive", "Te", "Proxy-Authorization",
			} {
				if got, ok := h[name]; ok {
					t.Errorf("provider got %s %q, want it stripped", name, got)
				}
			}
		})
	}
}

func TestAuthProxySetCookie(t *testing.T) {
	fromProvider := []string{
		"idp_session=s1; Path=/; Domain=id.example.test; Max-Age=3600; HttpOnly; Secure; SameSite=Lax; Priority=High",
		"__Host-idp_csrf=c1; Path=/; Secure; SameSite=Strict",
		"bad name=1; Domain=example.test",
	}
	tests := []struct {
		cookieDomain string
		want         []string
	}{
		{"", fromProvider},
		{"app.example.test", []string{
			"idp_session=s1; Path=/; Domain=app.example.test; Max-Age=3600; HttpOnly; Secure; SameSite=Lax; Priority=High",
			"__Host-idp_csrf=c1; Path=/; Secure; SameSite=Strict",
		}},
	}
	for _, tt := range tests {
		t.Run("CookieDomain="+tt.cookieDomain, func(t *testing.T) {
			idp := newAuthUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				for _, c := range fromProvider {
					w.Header().Add("Set-Cookie", c)
				}
				w.Header().Set("Location", "https://app.example.test/")
				w.WriteHeader(http.StatusSeeOther)
			})
			srv := serveAuthProxy(t, core.AuthProxyConfig{Issuer: idp.URL, CookieDomain: tt.cookieDomain})
			resp, _ := sendToProxy(t, srv, clientRequest{Method: http.MethodPost, Path: "/v1/auth/login"})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://app.example.test/" {
				t.Errorf("client got %d Location %q, want the provider's 303", resp.StatusCode, resp.Header.Get("Location"))
			}
			if got := resp.Header.Values("Set-Cookie"); !slices.Equal(got, tt.want) {
				t.Errorf("Set-Cookie =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// unsizedReader hides the length of a reader, so that http.Client sends it
// chunked.
type unsizedReader struct{ io.Reader }

func TestAuthProxyBodyLimit(t *testing.T) {
	const limit = 1024
	tests := []struct {
		name    string
		size    int
		chunked bool
		want    int
	}{
		{"content-length at limit", limit, false, http.StatusOK},
		{"content-length over limit", limit + 1, false, http.StatusRequestEntityTooLarge},
		{"chunked at limit", limit, true, http.StatusOK},
		{"chunked over limit", 4 * limit, true, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := newAuthUpstream(t, nil)
			srv := serveAuthProxy(t, core.AuthProxyConfig{Issuer: idp.URL, MaxBodyBytes: limit})
			payload := bytes.Repeat([]byte("a"), tt.size)
			req := clientRequest{Method: http.MethodPost, Path: "/v1/auth/signup", Body: bytes.NewReader(payload), Length: int64(tt.size)}
			if tt.chunked {
				req.Body, req.Length = unsizedReader{bytes.NewReader(payload)}, -1
			}
			resp, body := sendToProxy(t, srv, req)

			if tt.want == http.StatusOK {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d, want 200; body %s", resp.StatusCode, body)
				}
				if got := idp.only(t); !bytes.Equal(got.Body, payload) {
					t.Errorf("provider got %d bytes, want all %d", len(got.Body), len(payload))
				}
				return
			}
			checkAuthProxyError(t, resp, body, tt.want, "request_too_large", upstreamInternals(idp.Server)...)
			reqs := idp.requests()
			if !tt.chunked && len(reqs) != 0 {
				t.Errorf("provider reached %d times with a declared over-limit body, want 0", len(reqs))
			}
			// A streamed body may have been started, but never completed.
			for _, got := range reqs {
				if got.BodyErr == nil || len(got.Body) > limit {
					t.Errorf("provider read %d bytes (error %v), want an aborted body of at most %d", len(got.Body), got.BodyErr, limit)
				}
			}
		})
	}
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

func TestAuthProxyTimeout(t *testing.T) {
	release := make(chan struct{})
	idp := newAuthUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done(): // the proxy gave up and closed the connection
		}
	})
	t.Cleanup(func() { close(release) }) // runs before idp.Close
	var logs lockedBuffer
	srv := serveAuthProxy(t, core.AuthProxyConfig{
		Issuer:  idp.URL,
		Timeout: 50 * time.Millisecond,
		Logger:  slog.New(slog.NewJSONHandler(&logs, nil)),
	})

	start := time.Now()
	resp, body := sendToProxy(t, srv, clientRequest{Method: http.MethodPost, Path: "/v1/auth/login", Body: strings.NewReader("{}"), Length: 2})
	checkAuthProxyError(t, resp, body, http.StatusGatewayTimeout, "gateway_timeout", upstreamInternals(idp.Server)...)
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

func TestAuthProxyTimeoutSparesResponseBody(t *testing.T) {
	finish, hold := make(chan struct{}), make(chan struct{})
	finishOnce := sync.OnceFunc(func() { close(finish) })
	idp := newAuthUpstream(t, func(w http.ResponseWriter, r *http.Request) {
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
	srv := serveAuthProxy(t, core.AuthProxyConfig{Issuer: idp.URL, Timeout: 50 * time.Millisecond})

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
	slow, body := sendToProxy(t, srv, clientRequest{Path: "/v1/auth/slow"})
	checkAuthProxyError(t, slow, body, http.StatusGatewayTimeout, "gateway_timeout")

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

func TestAuthProxyOnServeMux(t *testing.T) {
	idp := newAuthUpstream(t, nil)
	p, err := core.NewAuthProxy(core.AuthProxyConfig{Issuer: idp.URL, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/auth/", p)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	if resp, _ := sendToProxy(t, srv, clientRequest{Path: "/v1/auth/login"}); resp.StatusCode != http.StatusOK {
		t.Errorf("/v1/auth/login: status %d, want the provider's 200", resp.StatusCode)
	}
	if resp, _ := sendToProxy(t, srv, clientRequest{Path: "/v1/other"}); resp.StatusCode != http.StatusTeapot {
		t.Errorf("/v1/other: status %d, want the application's 418", resp.StatusCode)
	}
	if got := idp.only(t); got.Path != "/v1/auth/login" {
		t.Errorf("provider got %q, want /v1/auth/login", got.Path)
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

func (c recordChan) Enabled(context.Context, slog.Level) bool      { return true }
func (c recordChan) Handle(_ context.Context, r slog.Record) error { c <- r; return nil }
func (c recordChan) WithAttrs([]slog.Attr) slog.Handler            { return c }
func (c recordChan) WithGroup(string) slog.Handler                 { return c }

func TestAuthProxyClientGoesAway(t *testing.T) {
	arrived, abandoned := make(chan struct{}), make(chan struct{})
	idp := newAuthUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
		close(abandoned)
	})
	records := make(recordChan, 8)
	srv := serveAuthProxy(t, core.AuthProxyConfig{Issuer: idp.URL, Logger: slog.New(records)})

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

func TestAuthProxyUnreachable(t *testing.T) {
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
			srv := serveAuthProxy(t, core.AuthProxyConfig{Issuer: tt.issuer, Transport: tt.transport})
			resp, body := sendToProxy(t, srv, clientRequest{Method: http.MethodPost, Path: "/v1/auth/login", Body: strings.NewReader("{}"), Length: 2})
			u, _ := url.Parse(tt.issuer)
			leaks := append(upstreamInternals(srv), u.Host, u.Port(), "example.invalid", "no DNS", "reset")
			checkAuthProxyError(t, resp, body, http.StatusBadGateway, "bad_gateway", leaks...)
		})
	}
}

func TestAuthProxyLogsNoSecrets(t *testing.T) {
	idp := newAuthUpstream(t, nil)
	var logs lockedBuffer
	srv := serveAuthProxy(t, core.AuthProxyConfig{Issuer: idp.URL, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	resp, _ := sendToProxy(t, srv, clientRequest{
		Method: http.MethodPost,
		Path:   "/v1/auth/../admin",
		Query:  "token=secret-query",
		Body:   strings.NewReader("password=secret-body"),
		Length: int64(len("password=secret-body")),
		Header: http.Header{"Authorization": {"Bearer secret-token"}, "Cookie": {"sid=secret-cookie"}},
	})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", resp.StatusCode)
	}
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "path=/v1/auth/../admin") || !strings.Contains(out, "status=400") {
		t.Errorf("log %q, want a WARN record with path and status", out)
	}
	if strings.Contains(out, "secret") {
		t.Errorf("log %q reveals a secret", out)
	}
}

func TestAuthProxyZeroValue(t *testing.T) {
	srv := httptest.NewServer(new(core.AuthProxy))
	t.Cleanup(srv.Close)
	resp, body := sendToProxy(t, srv, clientRequest{Path: "/v1/auth/login"})
	checkAuthProxyError(t, resp, body, http.StatusBadGateway, "bad_gateway")
}

func TestNewAuthProxyConfig(t *testing.T) {
	const issuer = "https://id.example.com"
	bad := map[string]core.AuthProxyConfig{
		"no issuer":                {},
		"relative issuer":          {Issuer: "id.example.com"},
		"ftp issuer":               {Issuer: "ftp://id.example.com"},
		"issuer with query":        {Issuer: issuer + "?tenant=1"},
		"issuer with empty query":  {Issuer: issuer + "?"},
		"issuer with fragment":     {Issuer: issuer + "#x"},
		"issuer with credentials":  {Issuer: "https://user:pw@id.example.com"},
		"issuer with encoded path": {Issuer: issuer + "/a%2Fb"},
		"allowed outside auth":     {Issuer: issuer, AllowedPaths: []string{"/admin/"}},
		"allowed auth root only":   {Issuer: issuer, AllowedPaths: []string{"/v1/auth"}},
		"allowed not clean":        {Issuer: issuer, AllowedPaths: []string{"/v1/auth/../admin/"}},
		"allowed double slash":     {Issuer: issuer, AllowedPaths: []string{"/v1/auth//login"}},
		"allowed empty entry":      {Issuer: issuer, AllowedPaths: []string{""}},
		"forwarded host with CRLF": {Issuer: issuer, ForwardedHost: "app.example.com\r\nX-Evil: 1"},
		"forwarded host with path": {Issuer: issuer, ForwardedHost: "app.example.com/x"},
		"forwarded host list":      {Issuer: issuer, ForwardedHost: "a.example.com, b.example.com"},
		"cookie domain with space": {Issuer: issuer, CookieDomain: "example .com"},
		"cookie domain with port":  {Issuer: issuer, CookieDomain: "example.com:443"},
		"negative body limit":      {Issuer: issuer, MaxBodyBytes: -1},
		"negative timeout":         {Issuer: issuer, Timeout: -time.Second},
	}
	for name, cfg := range bad {
		t.Run(name, func(t *testing.T) {
			if p, err := core.NewAuthProxy(cfg); err == nil || p != nil {
				t.Errorf("NewAuthProxy = %v, %v; want an error", p, err)
			}
		})
	}

	good := map[string]core.AuthProxyConfig{
		"minimal":          {Issuer: issuer},
		"issuer path":      {Issuer: issuer + "/idp/"},
		"plain http":       {Issuer: "http://identsphere.internal:8080"},
		"exact and prefix": {Issuer: issuer, AllowedPaths: []string{"/v1/auth/login", "/v1/auth/oauth/", "/v1/auth/"}},
		"forwarded host":   {Issuer: issuer, ForwardedHost: "app.example.com:8443"},
		"forwarded ipv6":   {Issuer: issuer, ForwardedHost: "[2001:db8::1]:443"},
		"cookie domain":    {Issuer: issuer, CookieDomain: ".example.com"},
	}
	for name, cfg := range good {
		t.Run(name, func(t *testing.T) {
			if _, err := core.NewAuthProxy(cfg); err != nil {
				t.Errorf("NewAuthProxy: %v", err)
			}
		})
	}
}
