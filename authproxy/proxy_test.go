package authproxy_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authproxy"
)

func TestForwardsAllowedPaths(t *testing.T) {
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
			idp := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Provider", "yes")
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, "provider says hi")
			})
			srv := serveProxy(t, authproxy.Config{Issuer: idp.URL + tt.issuerPath})

			req := clientRequest{Method: tt.method, Path: tt.path, Query: tt.query, Header: http.Header{}}
			if tt.body != "" {
				req.Body, req.Length = strings.NewReader(tt.body), int64(len(tt.body))
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, body := send(t, srv, req)

			if resp.StatusCode != http.StatusCreated || string(body) != "provider says hi" ||
				resp.Header.Get("X-Provider") != "yes" ||
				resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
				t.Errorf(
					"client got %d %q %v, want the provider's answer unchanged",
					resp.StatusCode,
					body,
					resp.Header,
				)
			}
			got := idp.only(t)
			if got.Method != tt.method || got.Path != tt.wantPath || got.RequestURI != tt.wantRequestURI ||
				got.RawQuery != tt.query || string(got.Body) != tt.body || got.ContentType != tt.contentType {
				t.Errorf(
					"provider got %s %q (wire %q) query %q body %q type %q,\n"+
						"want %s %q (wire %q) query %q body %q type %q",
					got.Method,
					got.Path,
					got.RequestURI,
					got.RawQuery,
					got.Body,
					got.ContentType,
					tt.method,
					tt.wantPath,
					tt.wantRequestURI,
					tt.query,
					tt.body,
					tt.contentType,
				)
			}
			if want := strings.TrimPrefix(idp.URL, "http://"); got.Host != want {
				t.Errorf("provider got Host %q, want its own %q", got.Host, want)
			}
		})
	}
}

func TestAllowList(t *testing.T) {
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
			idp := newProvider(t, nil)
			srv := serveProxy(t, authproxy.Config{
				Issuer:       idp.URL,
				AllowedPaths: []string{"/v1/auth/login", "/v1/auth/oauth/"},
			})
			resp, body := send(t, srv, clientRequest{Path: tt.path})
			n := len(idp.requests())
			if tt.forward {
				if resp.StatusCode != http.StatusOK || n != 1 {
					t.Errorf("status %d, provider reached %d times; want 200 and 1", resp.StatusCode, n)
				}
				return
			}
			checkError(t, resp, body, http.StatusNotFound, "not_found", upstreamInternals(idp.Server)...)
			if n != 0 {
				t.Errorf("provider reached %d times, want 0", n)
			}
		})
	}
}

func TestRefusesPathsOutsideAuth(t *testing.T) {
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
	idp := newProvider(t, nil)
	srv := serveProxy(t, authproxy.Config{Issuer: idp.URL})
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			resp, body := send(
				t,
				srv,
				clientRequest{Path: p, Header: http.Header{"Authorization": {"Bearer app-token"}}},
			)
			checkError(t, resp, body, http.StatusBadRequest, "invalid_request", upstreamInternals(idp.Server)...)
		})
	}
	if n := len(idp.requests()); n != 0 {
		t.Errorf("provider reached %d times, want 0", n)
	}
}

func TestRefusesUpgrade(t *testing.T) {
	tests := map[string]http.Header{
		"websocket": {
			"Connection":            {"Upgrade"},
			"Upgrade":               {"websocket"},
			"Sec-Websocket-Version": {"13"},
			"Sec-Websocket-Key":     {"dGhlIHNhbXBsZSBub25jZQ=="},
		},
		"h2c": {
			"Connection":     {"Upgrade, HTTP2-Settings"},
			"Upgrade":        {"h2c"},
			"Http2-Settings": {"AAMAAABkAAQAAP__"},
		},
		"upgrade header alone": {"Upgrade": {"foo/1"}},
		"connection upgrade":   {"Connection": {"keep-alive,  UPGRADE "}},
	}
	idp := newProvider(t, nil)
	srv := serveProxy(t, authproxy.Config{Issuer: idp.URL})
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := send(t, srv, clientRequest{Path: "/v1/auth/login", Header: h})
			checkError(t, resp, body, http.StatusBadRequest, "invalid_request", upstreamInternals(idp.Server)...)
		})
	}
	if n := len(idp.requests()); n != 0 {
		t.Errorf("provider reached %d times, want 0", n)
	}
}

// unsizedReader hides the length of a reader, so that http.Client sends it
// chunked.
type unsizedReader struct{ io.Reader }

func TestBodyLimit(t *testing.T) {
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
			idp := newProvider(t, nil)
			srv := serveProxy(t, authproxy.Config{Issuer: idp.URL, MaxBodyBytes: limit})
			payload := bytes.Repeat([]byte("a"), tt.size)
			req := clientRequest{
				Method: http.MethodPost,
				Path:   "/v1/auth/signup",
				Body:   bytes.NewReader(payload),
				Length: int64(tt.size),
			}
			if tt.chunked {
				req.Body, req.Length = unsizedReader{bytes.NewReader(payload)}, -1
			}
			resp, body := send(t, srv, req)

			if tt.want == http.StatusOK {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d, want 200; body %s", resp.StatusCode, body)
				}
				if got := idp.only(t); !bytes.Equal(got.Body, payload) {
					t.Errorf("provider got %d bytes, want all %d", len(got.Body), len(payload))
				}
				return
			}
			checkError(t, resp, body, tt.want, "request_too_large", upstreamInternals(idp.Server)...)
			reqs := idp.requests()
			if !tt.chunked && len(reqs) != 0 {
				t.Errorf("provider reached %d times with a declared over-limit body, want 0", len(reqs))
			}
			// A streamed body may have been started, but never completed.
			for _, got := range reqs {
				if got.BodyErr == nil || len(got.Body) > limit {
					t.Errorf(
						"provider read %d bytes (error %v), want an aborted body of at most %d",
						len(got.Body),
						got.BodyErr,
						limit,
					)
				}
			}
		})
	}
}

func TestOnServeMux(t *testing.T) {
	idp := newProvider(t, nil)
	p, err := authproxy.New(authproxy.Config{Issuer: idp.URL, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/auth/", p)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	if resp, _ := send(t, srv, clientRequest{Path: "/v1/auth/login"}); resp.StatusCode != http.StatusOK {
		t.Errorf("/v1/auth/login: status %d, want the provider's 200", resp.StatusCode)
	}
	if resp, _ := send(t, srv, clientRequest{Path: "/v1/other"}); resp.StatusCode != http.StatusTeapot {
		t.Errorf("/v1/other: status %d, want the application's 418", resp.StatusCode)
	}
	if got := idp.only(t); got.Path != "/v1/auth/login" {
		t.Errorf("provider got %q, want /v1/auth/login", got.Path)
	}
}

func TestLogsNoSecrets(t *testing.T) {
	idp := newProvider(t, nil)
	var logs lockedBuffer
	srv := serveProxy(t, authproxy.Config{Issuer: idp.URL, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	resp, _ := send(t, srv, clientRequest{
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
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "path=/v1/auth/../admin") ||
		!strings.Contains(out, "status=400") {
		t.Errorf("log %q, want a WARN record with path and status", out)
	}
	if strings.Contains(out, "secret") {
		t.Errorf("log %q reveals a secret", out)
	}
}

func TestZeroValue(t *testing.T) {
	srv := httptest.NewServer(new(authproxy.Proxy))
	t.Cleanup(srv.Close)
	resp, body := send(t, srv, clientRequest{Path: "/v1/auth/login"})
	checkError(t, resp, body, http.StatusBadGateway, "bad_gateway")
}
