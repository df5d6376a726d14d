package resourceserver_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/resourceserver"
)

func newIssuer(t *testing.T) *authtest.Issuer {
	t.Helper()
	iss := authtest.NewIssuer()
	t.Cleanup(iss.Close)
	return iss
}

// A Server checks tokens on the routes it protects, gives every request an
// id (the caller's when well-formed), logs one record per request without
// the token, serves /metrics with the library's metrics, and stops cleanly
// when Serve's context ends.
func TestServerServesTheRoutesWithItsProductionSetup(t *testing.T) {
	iss := newIssuer(t)
	var logs logBuffer
	srv := serve(t, production(iss, &logs))
	srv.waitReady(t)

	token := iss.MustMint(authtest.Claims{"sub": "alice"})
	ans := srv.get(t, "/api/me", token)
	if ans.status != http.StatusOK || ans.body != "alice" || ans.header.Get("X-Request-Id") == "" {
		t.Fatalf("/api/me: %d %q, request id %q", ans.status, ans.body, ans.header.Get("X-Request-Id"))
	}
	if ans := srv.get(t, "/api/me", ""); ans.status != http.StatusUnauthorized {
		t.Errorf("/api/me without a token: %d, want 401", ans.status)
	}

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL()+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Request-Id", "lb-42")
	if ans := srv.do(t, req); ans.header.Get("X-Request-Id") != "lb-42" {
		t.Errorf("request id %q, want the caller's lb-42", ans.header.Get("X-Request-Id"))
	}
	found := false
	for _, rec := range logs.records(t, "request") {
		if rec["request_id"] == "lb-42" && rec["path"] == "/api/me" && rec["status"] == float64(200) {
			found = true
		}
	}
	if !found {
		t.Errorf("no access-log record of the request lb-42:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the log holds the token")
	}

	metrics := srv.get(t, "/metrics", "")
	if metrics.status != http.StatusOK || !strings.Contains(metrics.body, "identsphere_") ||
		!strings.Contains(metrics.body, "go_goroutines") {
		t.Errorf("/metrics: %d, identsphere's and the process's metrics missing:\n%.500s", metrics.status, metrics.body)
	}
	if len(logs.records(t, "listening")) != 1 {
		t.Errorf("no listening record:\n%s", logs.String())
	}
}

// With METRICS_ADDR, /metrics is served there alone, and not on the API.
func TestMetricsListenApart(t *testing.T) {
	iss := newIssuer(t)
	var logs logBuffer
	cfg := production(iss, &logs)
	cfg.MetricsAddr = "127.0.0.1:0"
	srv := serve(t, cfg)
	if ans := srv.get(t, "/metrics", ""); ans.status != http.StatusNotFound {
		t.Errorf("/metrics on the API: %d, want 404", ans.status)
	}
	recs := logs.records(t, "metrics listening")
	if len(recs) != 1 {
		t.Fatalf("metrics listening records: %v", recs)
	}
	resp, err := srv.client.Get("http://" + recs[0]["addr"].(string) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/metrics on METRICS_ADDR: %d", resp.StatusCode)
	}

	// The detail, issuer named, is there too, and not on the API.
	srv.waitReady(t)
	if ans := srv.get(t, "/readyz/detail", ""); ans.status != http.StatusNotFound {
		t.Errorf("/readyz/detail on the API: %d, want 404", ans.status)
	}
	req, _ := http.NewRequestWithContext(
		t.Context(),
		http.MethodGet,
		"http://"+recs[0]["addr"].(string)+"/readyz/detail",
		nil,
	)
	ans := srv.do(t, req)
	var detail resourceserver.ReadinessDetail
	if err := json.Unmarshal([]byte(ans.body), &detail); err != nil || ans.status != http.StatusOK ||
		len(detail.Issuers) != 1 || detail.Issuers[0].Issuer != iss.URL() ||
		detail.Issuers[0].RefreshFailing || !detail.Issuers[0].Ready {
		t.Errorf("/readyz/detail on METRICS_ADDR: %d %s", ans.status, ans.body)
	}
}

// Until the signing keys load, readiness is 503 and names the component;
// the body holds no URL, address or error text, though the issuer is
// failing with an error that names its address.
func TestReadinessNamesWhatIsNotReadyWithoutLeakingAddresses(t *testing.T) {
	iss := newIssuer(t)
	iss.SetFault(authtest.FaultDown)
	var logs logBuffer
	srv := serve(t, production(iss, &logs))
	var body string
	if !eventually(10*time.Second, func() bool {
		_, r, raw := srv.readiness(t)
		body = raw
		return len(r.Issuers) == 1 && r.Issuers[0].RefreshFailing
	}) {
		t.Fatalf("the failing key load never shows: %s", body)
	}
	status, r, raw := srv.readiness(t)
	if status != http.StatusServiceUnavailable || r.Ready ||
		strings.Join(r.NotReady, ",") != resourceserver.ComponentSigningKeys {
		t.Errorf("/readyz while the issuer is down: %d %s", status, raw)
	}
	host := strings.TrimPrefix(iss.URL(), "http://")
	for _, leak := range []string{host, "127.0.0.1", "http", "error"} {
		if strings.Contains(raw, leak) {
			t.Errorf("/readyz shows %q: %s", leak, raw)
		}
	}
	iss.SetFault(authtest.FaultNone)
	srv.waitReady(t)
	if status, r, raw := srv.readiness(t); status != http.StatusOK || !r.Ready || len(r.NotReady) != 0 ||
		r.Issuers[0].Keys == 0 ||
		r.Issuers[0].KeysAgeSeconds == nil {
		t.Errorf("/readyz once the keys are in: %d %s", status, raw)
	}
}

// The login proxy forwards /v1/auth/ to the issuer.
func TestLoginProxyReachesTheIssuer(t *testing.T) {
	iss := newIssuer(t)
	var logs logBuffer
	srv := serve(t, production(iss, &logs))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL()+"/v1/auth/login",
		strings.NewReader(`{"email":"dev@example.com","password":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	if ans := srv.do(t, req); ans.status != http.StatusOK || iss.AuthRequests() != 1 {
		t.Errorf("login through the proxy: %d %s, %d requests at the issuer", ans.status, ans.body, iss.AuthRequests())
	}
}

// Close alone (Serve never called) releases everything, listeners
// included; TestMain's goleak check covers the goroutines.
func TestCloseWithoutServe(t *testing.T) {
	iss := newIssuer(t)
	var logs logBuffer
	srv, err := resourceserver.New(t.Context(), production(iss, &logs))
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(srv.URL(), "http://")
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	var d net.Dialer
	if c, err := d.DialContext(t.Context(), "tcp", addr); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Close", addr)
	}
	if err := srv.Serve(context.Background(), http.NotFoundHandler()); err == nil {
		t.Error("Serve after Close returned nil")
	}
}
