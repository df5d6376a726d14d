//go:build unix

package examples_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// What an operator sees, on the built binaries: a scripted set of
// requests, then /metrics scraped and parsed with the Prometheus text
// parser, the JSON log read back record by record, and /readyz.

// scripted is one request of the script and what the operator must find
// about it: its answer, and the check its refusal record names.
type scripted struct {
	name   string
	id     string // X-Request-Id sent
	req    request
	token  string
	status int
	check  string // "" when admitted
}

// metricsAt scrapes url (a /metrics) and parses it.
func (a *app) metricsAt(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := a.client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("GET %s: Content-Type %q, want the text format", url, ct)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: not the Prometheus text format: %v", url, err)
	}
	return families
}

// sample sums the values of family name's series whose labels include
// want (a counter's or a gauge's).
func sample(families map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := families[name]
	if f == nil {
		return 0, false
	}
	var sum float64
	found := false
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			if labels[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum, found
}

// records returns the app's JSON log records whose msg is msg.
func (a *app) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	lines, _ := a.stderr.Lines()
	var out []map[string]any
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %q", line)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func withID(r request, id string) request {
	r.header = map[string]string{"X-Request-Id": id}
	return r
}

func TestOperability(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		iss := newIssuer(t)
		// /metrics on a listener of its own.
		a := startAgainst(t, bin, iss.URL(), "METRICS_ADDR=127.0.0.1:0")
		line := a.waitLine(t, a.stderr, "the metrics listening line", startTimeout, func(line string) bool {
			return strings.Contains(line, `"msg":"metrics listening"`)
		})
		var listening struct{ Addr string }
		if err := json.Unmarshal([]byte(line), &listening); err != nil || listening.Addr == "" ||
			listening.Addr == a.addr {
			t.Fatalf("metrics listening line %s: want an address apart from %s", line, a.addr)
		}
		metricsURL := "http://" + listening.Addr + "/metrics"
		a.waitReady(t)
		if ans := a.send(t, request{path: "/metrics"}); ans.status != http.StatusNotFound {
			t.Errorf("/metrics on ADDR with METRICS_ADDR set: %d, want 404", ans.status)
		}

		mint := func(c map[string]any, opts ...authtest.MintOption) string { return iss.MustMint(c, opts...) }
		valid := mint(user)
		get := func(path, token string) request {
			r := request{path: path}
			if token != "" {
				r.auth = bearer(token)
			}
			return r
		}
		script := []scripted{
			{name: "valid", token: valid, status: 200},
			{name: "valid again, from the cache", token: valid, status: 200},
			{
				name:   "expired",
				token:  mint(with(authtest.Claims{"exp": time.Now().Add(-time.Hour)})),
				status: 401,
				check:  "exp",
			},
			{name: "wrong audience", token: mint(with(authtest.Claims{"aud": "other-api"})), status: 401, check: "aud"},
			{
				name:   "forged",
				token:  mint(user, authtest.SignWithKey(testkeys.AttackerRSA(), testkeys.KIDRSA)),
				status: 401,
				check:  "signature",
			},
			{
				name:   "unknown kid",
				token:  mint(user, authtest.SignWithKey(testkeys.AttackerRSA(), "unknown-kid")),
				status: 401,
				check:  "kid",
			},
			{name: "missing scope", token: mint(user), status: 403, check: "scope"},
			{name: "no token", status: 401, check: "missing"},
		}
		for i := range script {
			s := &script[i]
			s.id = "op-" + strings.ReplaceAll(strings.ReplaceAll(s.name, " ", "-"), ",", "")
			path := "/api/me"
			if s.check == "scope" {
				path = "/api/admin"
			}
			s.req = withID(get(path, s.token), s.id)
			ans := a.send(t, s.req)
			if ans.status != s.status {
				t.Fatalf("%s: %d %s, want %d", s.name, ans.status, ans.body, s.status)
			}
			if got := ans.header.Get("X-Request-Id"); got != s.id {
				t.Errorf("%s: X-Request-Id %q echoed, want %q", s.name, got, s.id)
			}
		}
		// An id that is not sane is replaced, and the new one echoed.
		bad := a.send(t, withID(request{path: "/healthz"}, "no spaces allowed"))
		if got := bad.header.Get("X-Request-Id"); got == "" || strings.Contains(got, " ") {
			t.Errorf("X-Request-Id %q for an insane incoming id, want a generated one", got)
		}

		// The metrics, by check. The unknown kid's refresh runs in the
		// background: wait for its fetch to be counted.
		issuer := iss.URL()
		var families map[string]*dto.MetricFamily
		if took, ok := eventually(10*time.Second, func() bool {
			families = a.metricsAt(t, metricsURL)
			n, _ := sample(families, "identsphere_jwks_fetches_total", map[string]string{"issuer": issuer})
			return n >= 2
		}); !ok {
			t.Fatalf("the unknown kid's JWKS fetch not counted after %v", took)
		}
		for _, s := range script {
			if s.check == "" {
				continue
			}
			want := map[string]string{"result": "refused", "check": s.check, "issuer": issuer}
			if s.check == "missing" || s.check == "scope" {
				want["issuer"] = "" // no token, or a route rule: no issuer named
			}
			if n, _ := sample(families, "identsphere_decisions_total", want); n != 1 {
				t.Errorf("identsphere_decisions_total%v = %v, want 1", want, n)
			}
		}
		// Admitted: the valid token twice, and the token the scope rule
		// refused after the middleware admitted it.
		for _, c := range []struct {
			name   string
			labels map[string]string
			want   float64
		}{
			{"identsphere_decisions_total", map[string]string{"result": "admitted", "issuer": issuer}, 3},
			{"identsphere_decisions_total", map[string]string{"result": "refused"}, 6},
			{"identsphere_cache_hits_total", map[string]string{"issuer": issuer}, 1},
			{"identsphere_cache_misses_total", map[string]string{"issuer": issuer}, 2},
			{"identsphere_unknown_kid_refreshes_total", map[string]string{"issuer": issuer}, 1},
			{"identsphere_events_total", map[string]string{"event": "keys_loaded", "issuer": issuer}, 1},
			{"identsphere_jwks_fetch_duration_seconds", map[string]string{"outcome": "ok", "issuer": issuer}, 2},
			{"identsphere_verify_duration_seconds", map[string]string{"result": "refused", "issuer": issuer}, 4},
			{"identsphere_ready", nil, 1},
			{"identsphere_keys", map[string]string{"issuer": issuer}, 1},
			{"identsphere_keys_refresh_failing", map[string]string{"issuer": issuer}, 0},
			{"identsphere_cache_entries", nil, 2},
		} {
			if n, ok := sample(families, c.name, c.labels); !ok || n != c.want {
				t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, n, ok, c.want)
			}
		}
		if age, ok := sample(families, "identsphere_keys_age_seconds", map[string]string{"issuer": issuer}); !ok ||
			age < 0 ||
			age > 60 {
			t.Errorf("identsphere_keys_age_seconds = %v (found %v)", age, ok)
		}
		for name, f := range families {
			if strings.HasPrefix(name, "identsphere_") && f.GetHelp() == "" {
				t.Errorf("%s has no HELP line", name)
			}
		}

		// The log: one refusal record per refused request, with its check
		// and its request id; one access record per request.
		refusals := a.records(t, "identsphere: request refused")
		access := a.records(t, "request")
		for _, s := range script {
			var mine []map[string]any
			for _, rec := range refusals {
				if rec["request_id"] == s.id {
					mine = append(mine, rec)
				}
			}
			if s.check == "" {
				if len(mine) != 0 {
					t.Errorf("%s: refusal records for an admitted request: %v", s.name, mine)
				}
			} else if len(mine) != 1 {
				t.Errorf("%s: %d refusal records with request id %s, want 1", s.name, len(mine), s.id)
			} else {
				rec := mine[0]
				sameRequest := rec["method"] == "GET" && rec["path"] == s.req.path
				if rec["check"] != s.check || rec["status"] != float64(s.status) || !sameRequest {
					t.Errorf("%s: refusal record %v, want check %s, status %d", s.name, rec, s.check, s.status)
				}
				if fp := core.TokenFingerprint(s.token); s.token != "" && rec["token_fingerprint"] != fp {
					t.Errorf("%s: fingerprint %v, want %s", s.name, rec["token_fingerprint"], fp)
				}
				if s.check == "aud" && (rec["expected"] == nil || rec["found"] == nil) {
					t.Errorf("%s: no expected and found audiences in %v", s.name, rec)
				}
			}
			n := 0
			for _, rec := range access {
				if rec["request_id"] == s.id {
					n++
					if rec["status"] != float64(s.status) || rec["method"] != "GET" || rec["path"] != s.req.path ||
						rec["duration_ms"] == nil {
						t.Errorf("%s: access record %v", s.name, rec)
					}
				}
			}
			if n != 1 {
				t.Errorf("%s: %d access records with request id %s, want 1", s.name, n, s.id)
			}
		}
		if len(a.records(t, "identsphere: a token named an unknown kid; refreshing the keys")) != 1 {
			t.Error("no record of the unknown kid's refresh")
		}
		logs := a.stderr.String() + a.stdout.String()
		for _, s := range script {
			if s.token != "" && strings.Contains(logs, s.token[len(s.token)-40:]) {
				t.Errorf("%s: the logs carry the token", s.name)
			}
		}

		// /readyz: state, ages and counts; the issuer and any error only in
		// /readyz/detail, on the metrics listener.
		ans := a.send(t, request{path: "/readyz"})
		type issuerState struct {
			Issuer         *string  `json:"issuer"`
			RefreshFailing bool     `json:"refresh_failing"`
			Ready          bool     `json:"ready"`
			Keys           int      `json:"keys"`
			KeysAgeSeconds *float64 `json:"keys_age_seconds"`
			LastError      *string  `json:"last_error"`
		}
		var ready struct {
			Status       string        `json:"status"`
			Ready        bool          `json:"ready"`
			CacheEntries *int          `json:"cache_entries"`
			Issuers      []issuerState `json:"issuers"`
		}
		if err := json.Unmarshal(ans.body, &ready); err != nil || ans.status != http.StatusOK {
			t.Fatalf("/readyz: %d %s", ans.status, ans.body)
		}
		if ready.Status != "ok" || !ready.Ready || ready.CacheEntries == nil || *ready.CacheEntries != 2 ||
			len(ready.Issuers) != 1 {
			t.Fatalf("/readyz %s", ans.body)
		}
		is := ready.Issuers[0]
		if is.Issuer != nil || is.RefreshFailing || !is.Ready || is.Keys != 1 || is.KeysAgeSeconds == nil ||
			*is.KeysAgeSeconds < 0 ||
			is.LastError != nil {
			t.Errorf("/readyz issuer %s", ans.body)
		}
		if ans := a.send(t, request{path: "/readyz/detail"}); ans.status != http.StatusNotFound {
			t.Errorf("/readyz/detail on ADDR: %d, want 404", ans.status)
		}
		resp, err := http.Get("http://" + listening.Addr + "/readyz/detail")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var detail struct {
			Issuers []issuerState `json:"issuers"`
		}
		err = json.NewDecoder(resp.Body).Decode(&detail)
		if err != nil || resp.StatusCode != http.StatusOK || len(detail.Issuers) != 1 ||
			detail.Issuers[0].Issuer == nil || *detail.Issuers[0].Issuer != issuer ||
			detail.Issuers[0].RefreshFailing ||
			!detail.Issuers[0].Ready {
			t.Errorf(
				"/readyz/detail on METRICS_ADDR: %d %+v (%v), want the issuer, ready",
				resp.StatusCode,
				detail,
				err,
			)
		}
	})
}

// Without METRICS_ADDR, /metrics is served on ADDR.
func TestMetricsOnTheAppAddress(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		iss := newIssuer(t)
		a := startAgainst(t, bin, iss.URL())
		a.waitReady(t)
		if ans := a.send(
			t,
			request{path: "/api/me", auth: bearer(iss.MustMint(with(authtest.Claims{"aud": "other-api"})))},
		); ans.status != http.StatusUnauthorized {
			t.Fatalf("wrong audience: %d", ans.status)
		}
		families := a.metricsAt(t, a.url+"/metrics")
		if n, _ := sample(
			families,
			"identsphere_decisions_total",
			map[string]string{"check": "aud", "result": "refused"},
		); n != 1 {
			t.Errorf("aud refusals %v, want 1", n)
		}
		if lines := a.records(t, "metrics listening"); len(lines) != 0 {
			t.Errorf("a metrics listener without METRICS_ADDR: %v", lines)
		}
	})
}

// What on-call sees when the issuer's keys cannot be refreshed, and when
// the introspection credentials are wrong: neither looks like an outage of
// this service. /readyz stays 200 and says the issuer is failing; the metrics
// count the failed fetch and flag the issuer; the log says it at warning
// level. Refused client credentials are one error record naming the fix.
func TestOperabilityWhenTheIssuerFails(t *testing.T) {
	eachStarter(t, func(t *testing.T, bin string) {
		iss := newIssuer(t)
		a := startAgainst(t, bin, iss.URL(),
			"IDENTSPHERE_CLIENT_ID="+authtest.IntrospectionClientID, "IDENTSPHERE_CLIENT_SECRET=not-the-secret")
		a.waitReady(t)
		issuer := iss.URL()

		iss.SetFault(authtest.FaultServerError)
		unknown := iss.MustMint(user, authtest.SignWithKey(testkeys.RSA2(), "not-published"))
		// One unknown kid suffices; on a loaded machine the refresh may give
		// up before reaching the issuer, and the next is allowed 5 s later.
		var families map[string]*dto.MetricFamily
		if took, ok := eventually(15*time.Second, func() bool {
			a.send(t, request{path: "/api/me", auth: bearer(unknown)})
			families = a.metricsAt(t, a.url+"/metrics")
			failed := map[string]string{"outcome": "error", "issuer": issuer}
			n, _ := sample(families, "identsphere_jwks_fetches_total", failed)
			// The fetch is counted as it fails, and the failure recorded in
			// the Validator's status (the gauge below, /readyz) just after.
			failing, _ := sample(families, "identsphere_keys_refresh_failing", map[string]string{"issuer": issuer})
			return n >= 1 && failing == 1
		}); !ok {
			t.Fatalf("no failed JWKS fetch counted, or the refresh not marked failing, after %v", took)
		}
		if n, ok := sample(families, "identsphere_keys_refresh_failing", map[string]string{"issuer": issuer}); !ok ||
			n != 1 {
			t.Errorf("identsphere_keys_refresh_failing = %v (found %v), want 1", n, ok)
		}
		if n, _ := sample(
			families,
			"identsphere_events_total",
			map[string]string{"event": "key_refresh_failed", "issuer": issuer},
		); n < 1 {
			t.Errorf("no key_refresh_failed event counted")
		}
		ans := a.send(t, request{path: "/readyz"})
		if ans.status != http.StatusOK || !bytes.Contains(ans.body, []byte(`"refresh_failing":true`)) {
			t.Errorf("/readyz after a failed refresh: %d %s, want 200 with the refresh failing", ans.status, ans.body)
		}
		for _, leak := range []string{strings.TrimPrefix(issuer, "http://"), "500", "last_error"} {
			if bytes.Contains(ans.body, []byte(leak)) {
				t.Errorf("/readyz %s holds %q: the detail is for the log and METRICS_ADDR", ans.body, leak)
			}
		}
		warn := a.records(t, "identsphere: key refresh failed; keeping the cached keys")
		if len(warn) == 0 || warn[0]["level"] != "WARN" {
			t.Errorf("key refresh failed records: %v, want one at WARN", warn)
		}

		// The wrong client secret.
		iss.SetFault(authtest.FaultNone)
		transfer := request{method: http.MethodPost, path: "/api/transfer", auth: bearer(iss.MustMint(user))}
		for range 3 {
			if ans := a.send(t, transfer); ans.status != http.StatusServiceUnavailable {
				t.Fatalf("/api/transfer with refused credentials: %d, want 503", ans.status)
			}
		}
		errs := a.records(
			t,
			"identsphere: introspection cannot work until its configuration is fixed; fresh routes answer 503",
		)
		if len(errs) != 1 || errs[0]["level"] != "ERROR" ||
			!strings.Contains(errs[0]["error"].(string), "ClientSecret") {
			t.Errorf("misconfiguration records %v, want one at ERROR naming the setting", errs)
		}
		families = a.metricsAt(t, a.url+"/metrics")
		if n, _ := sample(
			families,
			"identsphere_introspection_calls_total",
			map[string]string{"outcome": "error", "issuer": issuer},
		); n != 3 {
			t.Errorf("failed introspection calls counted: %v, want 3", n)
		}
		if n, _ := sample(
			families,
			"identsphere_events_total",
			map[string]string{"event": "introspection_misconfigured"},
		); n != 1 {
			t.Errorf("introspection_misconfigured events counted: %v, want 1", n)
		}
		if strings.Contains(a.stderr.String(), "not-the-secret") {
			t.Error("the logs carry the client secret")
		}
	})
}
