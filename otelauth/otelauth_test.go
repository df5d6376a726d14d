package otelauth_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/testkeys"
	"github.com/identsphere/identsphere-go/otelauth"
	"github.com/identsphere/identsphere-go/stdauth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// telemetry is the real OpenTelemetry SDK, collected on demand: a
// ManualReader for the metrics, a SpanRecorder for the spans.
type telemetry struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	obs    *otelauth.Observer
}

func newTelemetry(t *testing.T) *telemetry {
	t.Helper()
	tel := &telemetry{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(tel.reader))
	tel.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tel.spans))
	t.Cleanup(func() {
		_ = mp.Shutdown(context.Background())
		_ = tel.tp.Shutdown(context.Background())
	})
	obs, err := otelauth.New(otelauth.Config{MeterProvider: mp, TracerProvider: tel.tp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = obs.Close() })
	tel.obs = obs
	return tel
}

// collect returns the metrics recorded so far, by name.
func (tel *telemetry) collect(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := tel.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelauth.ScopeName {
			t.Errorf("instrumentation scope %q, want %q", sm.Scope.Name, otelauth.ScopeName)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// matches reports whether set holds every attribute of want.
func matches(set attribute.Set, want map[string]string) bool {
	for k, v := range want {
		got, ok := set.Value(attribute.Key(k))
		if !ok || got.AsString() != v {
			return false
		}
	}
	return true
}

// count sums a counter's points whose attributes match want.
func count(t *testing.T, ms map[string]metricdata.Metrics, name string, want map[string]string) int64 {
	t.Helper()
	m, ok := ms[name]
	if !ok {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s is a %T, want a Sum[int64]", name, m.Data)
	}
	if !sum.IsMonotonic {
		t.Errorf("%s is not monotonic", name)
	}
	var n int64
	for _, p := range sum.DataPoints {
		if matches(p.Attributes, want) {
			n += p.Value
		}
	}
	return n
}

// observations counts a histogram's measurements whose attributes match.
func observations(t *testing.T, ms map[string]metricdata.Metrics, name string, want map[string]string) uint64 {
	t.Helper()
	m, ok := ms[name]
	if !ok {
		return 0
	}
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s is a %T, want a Histogram[float64]", name, m.Data)
	}
	if m.Unit != "s" {
		t.Errorf("%s: unit %q, want s", name, m.Unit)
	}
	var n uint64
	for _, p := range h.DataPoints {
		if matches(p.Attributes, want) {
			n += p.Count
			if p.Count > 0 && (p.Sum <= 0 || p.Sum > 60) {
				t.Errorf("%s: %d measurements summing to %vs", name, p.Count, p.Sum)
			}
		}
	}
	return n
}

// gauge returns a gauge's value for the attributes want, if observed.
func gauge(t *testing.T, ms map[string]metricdata.Metrics, name string, want map[string]string) (float64, bool) {
	t.Helper()
	m, ok := ms[name]
	if !ok {
		return 0, false
	}
	switch g := m.Data.(type) {
	case metricdata.Gauge[int64]:
		for _, p := range g.DataPoints {
			if matches(p.Attributes, want) {
				return float64(p.Value), true
			}
		}
	case metricdata.Gauge[float64]:
		for _, p := range g.DataPoints {
			if matches(p.Attributes, want) {
				return p.Value, true
			}
		}
	default:
		t.Fatalf("%s is a %T, want a Gauge", name, m.Data)
	}
	return 0, false
}

// spansNamed returns the ended spans called name.
func (tel *telemetry) spansNamed(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range tel.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

func spanAttr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

// waitFor polls cond until it holds, failing the test after 30 s (a bound
// for a broken test, far from what a loaded machine takes): for work
// the Validator does in the background (a refresh for an unknown kid).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 30s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// serve sends r through h inside a span of its own, as an instrumented
// server would, and returns the answer's status and that span's context.
func serve(tel *telemetry, h http.Handler, r *http.Request) (int, trace.SpanContext) {
	ctx, span := tel.tp.Tracer("test").Start(r.Context(), "request")
	defer span.End()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r.WithContext(ctx))
	return rec.Code, span.SpanContext()
}

func router(v core.TokenVerifier, fresh core.FreshnessChecker) http.Handler {
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }
	mux := http.NewServeMux()
	mw := stdauth.Middleware(v)
	mux.Handle("GET /api/me", mw(http.HandlerFunc(ok)))
	mux.Handle("GET /api/admin", mw(stdauth.RequireScope("admin")(http.HandlerFunc(ok))))
	if fresh != nil {
		mux.Handle("POST /api/transfer", mw(stdauth.RequireFresh(fresh)(http.HandlerFunc(ok))))
	}
	mux.HandleFunc("GET /open", ok)
	return mux
}

// Requests through stdauth: each answer counted by result and check, the
// cache's hits and misses, a span per uncached verification (a child of
// the request's span) and none for a cache hit, the unknown kid's refresh
// counted and traced, and the gauges read from the Validator's Status.
func TestDecisionsSpansAndGauges(t *testing.T) {
	tel := newTelemetry(t)
	iss := authtest.Start(t)
	v := iss.Validator(t, func(c *core.Config) { c.Observer = tel.obs })
	if err := tel.obs.Watch(v); err != nil {
		t.Fatal(err)
	}
	h := router(v, nil)
	issuer := iss.URL()

	// The first key load was fetched and traced before the Validator was
	// ready.
	if n := len(tel.spansNamed(otelauth.SpanJWKSFetch)); n != 1 {
		t.Fatalf("%d JWKS fetch spans after the first load, want 1", n)
	}

	valid := iss.Token(t, nil)
	get := func(path, token string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		return r
	}
	type sent struct {
		name, path, token string
		status            int
		check             string // "" when admitted
		uncached          bool   // a verification runs (and is traced)
	}
	now := time.Now()
	script := []sent{
		{"valid, first time", "/api/me", valid, 204, "", true},
		{"valid, from the cache", "/api/me", valid, 204, "", false},
		{"expired", "/api/me", iss.Token(t, authtest.Claims{"exp": now.Add(-time.Hour)}), 401, "exp", true},
		{"wrong audience", "/api/me", iss.Token(t, authtest.Claims{"aud": "another-api"}), 401, "aud", true},
		{
			"forged",
			"/api/me",
			iss.Token(t, nil, authtest.SignWithKey(testkeys.AttackerRSA(), authtest.DefaultKID)),
			401,
			"signature",
			true,
		},
		{
			"unknown kid",
			"/api/me",
			iss.Token(t, nil, authtest.SignWithKey(testkeys.AttackerRSA(), "unknown-kid")),
			401,
			"kid",
			true,
		},
		{"no token", "/api/me", "", 401, "missing", false},
	}
	for _, s := range script {
		before := len(tel.spansNamed(otelauth.SpanVerify))
		status, parent := serve(tel, h, get(s.path, s.token))
		if status != s.status {
			t.Fatalf("%s: %d, want %d", s.name, status, s.status)
		}
		spans := tel.spansNamed(otelauth.SpanVerify)[before:]
		if !s.uncached {
			if len(spans) != 0 {
				t.Errorf("%s: %d verify spans, want none", s.name, len(spans))
			}
			continue
		}
		if len(spans) != 1 {
			t.Fatalf("%s: %d verify spans, want 1", s.name, len(spans))
		}
		sp := spans[0]
		if sp.Parent().SpanID() != parent.SpanID() || sp.SpanContext().TraceID() != parent.TraceID() {
			t.Errorf("%s: the verify span is not a child of the request's span", s.name)
		}
		if got := spanAttr(sp, otelauth.SpanAttrIssuer); got != issuer {
			t.Errorf("%s: span issuer %q, want %q", s.name, got, issuer)
		}
		if s.check == "" {
			if sp.Status().Code == codes.Error {
				t.Errorf("%s: an admitted token's span has status %v", s.name, sp.Status())
			}
		} else if sp.Status().Code != codes.Error || spanAttr(sp, otelauth.SpanAttrCheck) != s.check {
			t.Errorf(
				"%s: span status %v, check %q; want Error, %q",
				s.name,
				sp.Status(),
				spanAttr(sp, otelauth.SpanAttrCheck),
				s.check,
			)
		}
		for _, kv := range sp.Attributes() {
			if strings.Contains(kv.Value.String(), s.token) {
				t.Errorf("%s: span attribute %s holds the token", s.name, kv.Key)
			}
		}
	}

	// The unknown kid made the Validator fetch the keys again, in the
	// background; the request waited for it at most UnknownKIDWait.
	waitFor(
		t,
		"JWKS fetch for the unknown kid",
		func() bool { return len(tel.spansNamed(otelauth.SpanJWKSFetch)) == 2 },
	)
	for _, sp := range tel.spansNamed(otelauth.SpanJWKSFetch) {
		if sp.SpanKind() != trace.SpanKindClient || sp.Status().Code == codes.Error ||
			spanAttr(sp, otelauth.SpanAttrOutcome) != "ok" {
			t.Errorf(
				"JWKS fetch span: kind %v, status %v, outcome %q",
				sp.SpanKind(),
				sp.Status(),
				spanAttr(sp, otelauth.SpanAttrOutcome),
			)
		}
	}

	ms := tel.collect(t)
	refused := map[string]int64{}
	var admitted int64
	for _, s := range script {
		if s.check == "" {
			admitted++
		} else {
			refused[s.check]++
		}
	}
	if got := count(
		t,
		ms,
		otelauth.MetricDecisions,
		map[string]string{"result": "admitted", "issuer": issuer},
	); got != admitted {
		t.Errorf("admitted decisions: %d, want %d", got, admitted)
	}
	for check, want := range refused {
		attrs := map[string]string{"result": "refused", "check": check}
		if check != "missing" { // no token: no issuer was chosen
			attrs["issuer"] = issuer
		}
		if got := count(t, ms, otelauth.MetricDecisions, attrs); got != want {
			t.Errorf("refused decisions with check %s: %d, want %d", check, got, want)
		}
	}
	if got, want := count(t, ms, otelauth.MetricDecisions, nil), int64(len(script)); got != want {
		t.Errorf("%d decisions in all, want %d", got, want)
	}
	for _, c := range []struct {
		name string
		want int64
	}{
		{otelauth.MetricCacheHits, 1},
		{otelauth.MetricCacheMisses, 1},
		{otelauth.MetricUnknownKIDRefreshes, 1},
		{otelauth.MetricJWKSFetches, 2},
	} {
		if got := count(t, ms, c.name, map[string]string{"issuer": issuer}); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	if got := count(t, ms, otelauth.MetricJWKSFetches, map[string]string{"outcome": "ok"}); got != 2 {
		t.Errorf("JWKS fetches with outcome ok: %d, want 2", got)
	}
	if got := observations(
		t,
		ms,
		otelauth.MetricVerifyDuration,
		map[string]string{"result": "refused", "issuer": issuer},
	); got != 4 {
		t.Errorf("refused verifications timed: %d, want 4", got)
	}
	if got := observations(t, ms, otelauth.MetricVerifyDuration, map[string]string{"result": "admitted"}); got != 1 {
		t.Errorf("admitted verifications timed: %d, want 1 (a cache hit is not timed)", got)
	}
	if got := observations(t, ms, otelauth.MetricJWKSFetchDuration, map[string]string{"outcome": "ok"}); got != 2 {
		t.Errorf("JWKS fetches timed: %d, want 2", got)
	}
	for _, e := range []core.EventKind{core.EventKeysLoaded, core.EventUnknownKIDRefresh} {
		labels := map[string]string{"event": string(e), "issuer": issuer}
		if got := count(t, ms, otelauth.MetricEvents, labels); got != 1 {
			t.Errorf("event %s: %d, want 1", e, got)
		}
	}

	st := v.Status()
	for _, g := range []struct {
		name  string
		attrs map[string]string
		want  float64
	}{
		{otelauth.MetricReady, nil, 1},
		{otelauth.MetricCacheEntries, nil, float64(st.CacheEntries)},
		{otelauth.MetricKeys, map[string]string{"issuer": issuer}, float64(st.Issuers[0].Keys)},
		{otelauth.MetricKeysRefreshFailing, map[string]string{"issuer": issuer}, 0},
	} {
		if got, ok := gauge(t, ms, g.name, g.attrs); !ok || got != g.want {
			t.Errorf("%s: %v (observed %v), want %v", g.name, got, ok, g.want)
		}
	}
	if st.CacheEntries != 1 || st.Issuers[0].Keys != 1 {
		t.Errorf("Status: %d cache entries, %d keys; want 1 and 1", st.CacheEntries, st.Issuers[0].Keys)
	}
	age, ok := gauge(t, ms, otelauth.MetricKeysAge, map[string]string{"issuer": issuer})
	if upper := time.Since(st.Issuers[0].KeysFetchedAt).Seconds(); !ok || age < 0 || age > upper {
		t.Errorf("key set age %vs (observed %v), want between 0 and %vs", age, ok, upper)
	}
}

// A route's own rule refuses a request the middleware admitted: the
// middleware counts it admitted, the rule counts it refused (check scope).
func TestScopeRefusalCounted(t *testing.T) {
	tel := newTelemetry(t)
	iss := authtest.Start(t)
	v := iss.Validator(t, func(c *core.Config) { c.Observer = tel.obs })
	h := router(v, nil)
	r := iss.Request(t, http.MethodGet, "/api/admin", authtest.Claims{"scope": "read"})
	if status, _ := serve(tel, h, r); status != http.StatusForbidden {
		t.Fatalf("missing scope: %d, want 403", status)
	}
	ms := tel.collect(t)
	if got := count(
		t,
		ms,
		otelauth.MetricDecisions,
		map[string]string{"result": "refused", "check": "scope", "issuer": "", "stage": "route"},
	); got != 1 {
		t.Errorf(
			"refused by the route with check scope: %d, want 1 (stage route: the request is counted admitted already)",
			got,
		)
	}
	if got := count(
		t,
		ms,
		otelauth.MetricDecisions,
		map[string]string{"result": "admitted", "issuer": iss.URL()},
	); got != 1 {
		t.Errorf("admitted by the middleware: %d, want 1", got)
	}
}

// A key set refresh that fails is counted by outcome, traced with status
// Error, reported as an event, and shows in the refresh_failing gauge;
// the next good refresh brings a rotated key, reported as keys_changed.
func TestRefreshFailureAndRotation(t *testing.T) {
	tel := newTelemetry(t)
	iss := authtest.Start(t)
	v := iss.Validator(t, func(c *core.Config) {
		c.Observer = tel.obs
		c.UnknownKIDRefreshInterval = time.Millisecond
		c.Logger = authtestDiscard()
	})
	if err := tel.obs.Watch(v); err != nil {
		t.Fatal(err)
	}
	h := router(v, nil)
	issuer := iss.URL()

	iss.SetFault(authtest.FaultServerError)
	unknown := iss.Token(t, nil, authtest.SignWithKey(testkeys.AttackerRSA(), "not-yet-published"))
	if status, _ := serve(tel, h, authRequest(unknown)); status != http.StatusUnauthorized {
		t.Fatalf("unknown kid while the issuer fails: %d, want 401", status)
	}
	waitFor(t, "failed JWKS fetch", func() bool {
		return count(
			t,
			tel.collect(t),
			otelauth.MetricJWKSFetches,
			map[string]string{"outcome": "error", "issuer": issuer},
		) == 1
	})
	ms := tel.collect(t)
	if got := count(
		t,
		ms,
		otelauth.MetricEvents,
		map[string]string{"event": string(core.EventKeyRefreshFailed), "issuer": issuer},
	); got != 1 {
		t.Errorf("key_refresh_failed events: %d, want 1", got)
	}
	if got, ok := gauge(t, ms, otelauth.MetricKeysRefreshFailing, map[string]string{"issuer": issuer}); !ok ||
		got != 1 {
		t.Errorf("refresh_failing %v (observed %v) after a failed refresh, want 1", got, ok)
	}
	if got, ok := gauge(t, ms, otelauth.MetricReady, nil); !ok || got != 1 {
		t.Errorf("ready %v (observed %v) with the cached keys kept, want 1", got, ok)
	}
	var failed int
	for _, sp := range tel.spansNamed(otelauth.SpanJWKSFetch) {
		if sp.Status().Code == codes.Error {
			failed++
			if !strings.Contains(sp.Status().Description, "500") {
				t.Errorf("failed fetch span's status %q does not name the answer", sp.Status().Description)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d JWKS fetch spans with status Error, want 1", failed)
	}

	// The issuer recovers and publishes a new key: the next unknown kid
	// fetches it.
	iss.SetFault(authtest.FaultNone)
	iss.AddKey("rotated", testkeys.RSA2())
	rotated := iss.Token(t, nil, authtest.SignWith("rotated"))
	waitFor(t, "the rotated key to be admitted", func() bool {
		status, _ := serve(tel, h, authRequest(rotated))
		return status == http.StatusNoContent
	})
	ms = tel.collect(t)
	if got := count(
		t,
		ms,
		otelauth.MetricEvents,
		map[string]string{"event": string(core.EventKeysChanged), "issuer": issuer},
	); got != 1 {
		t.Errorf("keys_changed events: %d, want 1", got)
	}
	if got, ok := gauge(t, ms, otelauth.MetricKeysRefreshFailing, map[string]string{"issuer": issuer}); !ok ||
		got != 0 {
		t.Errorf("refresh_failing %v (observed %v) after a good refresh, want 0", got, ok)
	}
	if got, ok := gauge(t, ms, otelauth.MetricKeys, map[string]string{"issuer": issuer}); !ok || got != 2 {
		t.Errorf("keys %v (observed %v) after the rotation, want 2", got, ok)
	}
}

func authRequest(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// Introspection calls through RequireFresh are counted and timed by
// outcome and traced as children of the request's span; refused client
// credentials are an error outcome and an introspection_misconfigured
// event.
func TestIntrospection(t *testing.T) {
	for _, tc := range []struct {
		name    string
		secret  string
		status  int
		outcome string
		events  int64
	}{
		{"good credentials", authtest.IntrospectionClientSecret, http.StatusNoContent, "ok", 0},
		{"wrong secret", "not-the-secret", http.StatusServiceUnavailable, "error", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tel := newTelemetry(t)
			iss := authtest.Start(t)
			v := iss.Validator(t, func(c *core.Config) { c.Observer = tel.obs; c.Logger = authtestDiscard() })
			in := iss.Introspector(t, v, func(c *core.IntrospectionConfig) { c.ClientSecret = tc.secret })
			h := router(v, in)
			r := iss.Request(t, http.MethodPost, "/api/transfer", nil)
			status, parent := serve(tel, h, r)
			if status != tc.status {
				t.Fatalf("POST /api/transfer: %d, want %d", status, tc.status)
			}
			ms := tel.collect(t)
			attrs := map[string]string{"outcome": tc.outcome, "issuer": iss.URL()}
			if got := count(t, ms, otelauth.MetricIntrospectionCalls, attrs); got != 1 {
				t.Errorf("introspection calls %v: %d, want 1", attrs, got)
			}
			if got := observations(t, ms, otelauth.MetricIntrospectionDuration, attrs); got != 1 {
				t.Errorf("introspection calls timed %v: %d, want 1", attrs, got)
			}
			if got := count(
				t,
				ms,
				otelauth.MetricEvents,
				map[string]string{"event": string(core.EventIntrospectionMisconfigured)},
			); got != tc.events {
				t.Errorf("introspection_misconfigured events: %d, want %d", got, tc.events)
			}
			spans := tel.spansNamed(otelauth.SpanIntrospection)
			if len(spans) != 1 {
				t.Fatalf("%d introspection spans, want 1", len(spans))
			}
			sp := spans[0]
			if sp.Parent().SpanID() != parent.SpanID() {
				t.Error("the introspection span is not a child of the request's span")
			}
			if (sp.Status().Code == codes.Error) != (tc.outcome != "ok") {
				t.Errorf("introspection span status %v for outcome %s", sp.Status(), tc.outcome)
			}
			if strings.Contains(sp.Status().Description, tc.secret) {
				t.Error("the span's status holds the client secret")
			}
		})
	}
}

// Decisions are counted under a bounded number of attribute sets: past
// the bound, under check and issuer "other".
func TestDecisionSetsBounded(t *testing.T) {
	tel := newTelemetry(t)
	const n = 1100
	for i := range n {
		tel.obs.Decided(
			context.Background(),
			core.Decision{Check: "exp", Issuer: "https://issuer-" + strconv.Itoa(i) + ".example"},
		)
	}
	tel.obs.Decided(context.Background(), core.Decision{Admitted: true, Issuer: "https://late.example"})
	ms := tel.collect(t)
	points := len(ms[otelauth.MetricDecisions].Data.(metricdata.Sum[int64]).DataPoints)
	if points > 1026 {
		t.Errorf("%d attribute sets for decisions, want at most 1026", points)
	}
	if got := count(t, ms, otelauth.MetricDecisions, nil); got != n+1 {
		t.Errorf("%d decisions counted, want %d", got, n+1)
	}
	other := count(
		t,
		ms,
		otelauth.MetricDecisions,
		map[string]string{"result": "refused", "check": "other", "issuer": "other"},
	)
	if other != n-1024 {
		t.Errorf("%d decisions under other, want %d", other, n-1024)
	}
	if got := count(
		t,
		ms,
		otelauth.MetricDecisions,
		map[string]string{"result": "admitted", "issuer": "other"},
	); got != 1 {
		t.Errorf("%d admitted decisions under other, want 1", got)
	}
}

// Watch once per Observer; Close stops every callback, and may be called
// again.
func TestWatchTwiceAndClose(t *testing.T) {
	tel := newTelemetry(t)
	iss := authtest.Start(t)
	v := iss.Validator(t)
	if err := tel.obs.Watch(v); err != nil {
		t.Fatal(err)
	}
	if err := tel.obs.Watch(v); err == nil {
		t.Fatal("a second Watch succeeded")
	}
	tel.obs.Decided(context.Background(), core.Decision{Check: "exp", Issuer: iss.URL()})
	if _, ok := tel.collect(t)[otelauth.MetricDecisions]; !ok {
		t.Fatal("no decisions reported before Close")
	}
	if err := tel.obs.Close(); err != nil {
		t.Fatal(err)
	}
	ms := tel.collect(t)
	if _, ok := ms[otelauth.MetricReady]; ok {
		t.Error("the gauges are still observed after Close")
	}
	if _, ok := ms[otelauth.MetricDecisions]; ok {
		t.Error("the decisions are still observed after Close")
	}
	if err := tel.obs.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

// authtestDiscard is a logger for tests that provoke warnings on purpose.
func authtestDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// An operation this package does not know gets a span of its own name and
// is counted as neither a fetch nor a call.
func TestUnknownOperation(t *testing.T) {
	tel := newTelemetry(t)
	_, end := tel.obs.Start(context.Background(), core.Operation("future_op"), "https://id.example.com")
	end(nil)
	if spans := tel.spansNamed("identsphere.future_op"); len(spans) != 1 {
		t.Fatalf("%d spans named identsphere.future_op, want 1", len(spans))
	}
	ms := tel.collect(t)
	for _, name := range []string{otelauth.MetricJWKSFetches, otelauth.MetricIntrospectionCalls} {
		if got := count(t, ms, name, nil); got != 0 {
			t.Errorf("%s: %d, want 0", name, got)
		}
	}
}
