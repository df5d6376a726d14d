package resourceserver

// In-process tests of what an operator sees: the readiness bodies, the
// request id, the access log and /metrics, each part alone. server_test.go
// drives them together through a served Server.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/stdauth"
)

// stdauthMiddleware protects a handler that answers 200 with v.
func stdauthMiddleware(v *core.Validator) http.Handler {
	return stdauth.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
}

// failingValidator is a Validator for an issuer at issuerURL, once its
// first key load has failed.
func failingValidator(t *testing.T, issuerURL string) *core.Validator {
	t.Helper()
	v, err := core.New(
		t.Context(),
		core.Config{
			Issuer:            issuerURL,
			Audience:          []string{"orders-api"},
			AllowInsecureHTTP: true,
			Logger:            slog.New(slog.DiscardHandler),
		},
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	deadline := time.Now().Add(authtest.ReadyTimeout)
	for { // the first attempt fails within moments
		if _, d := readinessDetailOf(v, &revocations{}); len(d.Issuers) == 1 && d.Issuers[0].LastError != "" ||
			time.Now().After(deadline) {
			return v
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readyzFor is the public and the detailed readiness of failingValidator.
func readyzFor(t *testing.T, issuerURL string) (status int, public, detail []byte) {
	t.Helper()
	v := failingValidator(t, issuerURL)
	status, body := readinessOf(v, &revocations{})
	public, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	readinessHandler(
		func() (int, ReadinessDetail) { return readinessDetailOf(v, &revocations{}) },
	).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz/detail", nil))
	if rec.Code != status {
		t.Errorf("/readyz/detail %d, /readyz %d", rec.Code, status)
	}
	return status, public, rec.Body.Bytes()
}

// Before the keys arrive /readyz answers 503 with the issuer's state, and
// nothing of the error, which /readyz/detail gives: it names the issuer's
// URL and the status, never a secret.
func TestReadyzWithoutKeys(t *testing.T) {
	iss := authtest.Start(t)
	iss.SetFault(authtest.FaultServerError)
	status, public, detail := readyzFor(t, iss.URL())
	var got Readiness
	if err := json.Unmarshal(public, &got); err != nil || status != http.StatusServiceUnavailable || got.Ready ||
		got.Status != "waiting for signing keys" ||
		len(got.Issuers) != 1 {
		t.Fatalf("readiness %d %s, want 503, not ready, one issuer", status, public)
	}
	if is := got.Issuers[0]; !is.RefreshFailing || is.Ready || is.Keys != 0 || is.KeysAgeSeconds != nil ||
		strings.Contains(string(public), "keys_age_seconds") {
		t.Errorf("issuer %s, want failing, no keys, no age", public)
	}
	var d ReadinessDetail
	if err := json.Unmarshal(detail, &d); err != nil || len(d.Issuers) != 1 || d.Issuers[0].Issuer != iss.URL() ||
		!strings.Contains(d.Issuers[0].LastError, "500") ||
		!d.Issuers[0].RefreshFailing {
		t.Errorf("/readyz/detail %s, want the issuer and the 500", detail)
	}
}

// /readyz is public: whatever the provider's address and however its
// fetch fails, the body names neither the address nor the error.
func TestReadyzTellsStrangersNoAddress(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // nothing listens there any more: connection refused
	for _, c := range []struct {
		name, url string
		address   []string // what must not appear
	}{
		{
			"unreachable",
			closed.URL,
			[]string{strings.TrimPrefix(closed.URL, "http://"), "127.0.0.1", "refused", "dial"},
		},
		{
			"odd name",
			"http://idp-7.corp.internal.invalid:8443/realms/prod",
			[]string{"idp-7", "corp.internal", "8443", "realms", "lookup", "no such host"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, public, detail := readyzFor(t, c.url)
			if status != http.StatusServiceUnavailable || !bytes.Contains(detail, []byte(c.address[0])) ||
				!bytes.Contains(detail, []byte("last_error")) {
				t.Fatalf("%d, detail %s: want 503 and the detail naming %s", status, detail, c.address[0])
			}
			for _, leak := range c.address {
				if bytes.Contains(bytes.ToLower(public), []byte(strings.ToLower(leak))) {
					t.Errorf("/readyz %s holds %q", public, leak)
				}
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	var seen string
	h := withRequestID(
		http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { seen = core.RequestID(r.Context()) }),
	)
	for _, tc := range []struct {
		name, sent string
		kept       bool
	}{
		{"a load balancer's", "5f2b6c1e-3d4a-4b8e-9f00-1a2b3c4d5e6f", true},
		{"dots and underscores", "req_1.2", true},
		{"128 characters", strings.Repeat("a", 128), true},
		{"none", "", false},
		{"129 characters", strings.Repeat("a", 129), false},
		{"a space", "a b", false},
		{"a quote", `a"b`, false},
		{"a newline", "a\nb", false},
		{"non-ASCII", "é", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.sent != "" {
				r.Header[RequestIDHeader] = []string{tc.sent}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			echoed := rec.Header().Get(RequestIDHeader)
			if echoed != seen || echoed == "" {
				t.Fatalf("echoed %q, the handler saw %q", echoed, seen)
			}
			if kept := echoed == tc.sent; kept != tc.kept {
				t.Fatalf("sent %q, got %q; kept %v, want %v", tc.sent, echoed, kept, tc.kept)
			}
			if !tc.kept && !validRequestID(echoed) {
				t.Errorf("generated id %q is not itself a valid one", echoed)
			}
		})
	}
	// Generated ids differ.
	ids := map[string]bool{}
	for range 100 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		ids[rec.Header().Get(RequestIDHeader)] = true
	}
	if len(ids) != 100 {
		t.Errorf("%d distinct ids in 100 requests", len(ids))
	}
}

// One record per request, once answered, with the request id; never a
// header nor the query.
func TestAccessLog(t *testing.T) {
	iss := authtest.Start(t)
	app := stdauthMiddleware(iss.Validator(t))
	var logs bytes.Buffer
	h := withRequestID(withAccessLog(app, slog.New(slog.NewJSONHandler(&logs, nil))))
	token := iss.Token(t, authtest.Claims{"exp": time.Now().Add(-time.Hour)})
	r := httptest.NewRequest(http.MethodGet, "/api/me?access_token=in-the-query", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set(RequestIDHeader, "trace-me")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("%d, want 401", rec.Code)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d records, want 1:\n%s", len(lines), logs.String())
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"msg":        "request",
		"method":     "GET",
		"path":       "/api/me",
		"status":     float64(401),
		"request_id": "trace-me",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if d, ok := got["duration_ms"].(float64); !ok || d < 0 {
		t.Errorf("duration_ms %v", got["duration_ms"])
	}
	for _, secret := range []string{token, "in-the-query", "Bearer"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the access log carries %.20q", secret)
		}
	}
}

// GET /metrics answers the Prometheus text format, with the library's
// counters and their HELP lines.
func TestMetrics(t *testing.T) {
	tel, err := newTelemetry()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.close() })
	iss := authtest.Start(t)
	v := iss.Validator(t, func(c *core.Config) { c.Observer = tel.observer })
	if err := tel.observer.Watch(v); err != nil {
		t.Fatal(err)
	}
	app := withMetrics(http.NotFoundHandler(), tel.metrics)
	if _, err := v.Verify(context.Background(), iss.Token(t, authtest.Claims{"aud": "another-api"})); err == nil {
		t.Fatal("a token for another audience verified")
	}

	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("%d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	families := parseMetrics(t, rec.Body)
	aud := families["identsphere_decisions_total"]
	if aud == nil || aud.GetHelp() == "" {
		t.Fatalf("no identsphere_decisions_total with a HELP line")
	}
	var n float64
	for _, m := range aud.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["check"] == "aud" && labels["result"] == "refused" && labels["issuer"] == iss.URL() {
			n += m.GetCounter().GetValue()
		}
	}
	if n != 1 {
		t.Errorf("%v refusals for aud, want 1", n)
	}
	for _, name := range []string{
		"identsphere_keys",
		"identsphere_keys_age_seconds",
		"identsphere_ready",
		"identsphere_jwks_fetches_total",
		"go_goroutines",
	} {
		if families[name] == nil {
			t.Errorf("no %s", name)
		}
	}
	// Other paths are the app's.
	rec = httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("POST /metrics: %d, want the app's 404", rec.Code)
	}
}

func parseMetrics(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("not the Prometheus text format: %v", err)
	}
	return families
}
