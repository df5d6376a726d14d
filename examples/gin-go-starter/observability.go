package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/otelauth"
	"github.com/identsphere/identsphere-go/revocation/redisstore"
)

// What an operator sees: the library's metrics at GET /metrics in the
// Prometheus text format, a request id on every request and answer, one
// access-log record per request, and /readyz telling what the keys are
// doing (in detail at /readyz/detail beside /metrics on METRICS_ADDR). See
// "Operating it" in the README.

// telemetry is the OpenTelemetry meter provider, exported to Prometheus,
// and the identsphere Observer that records through it.
type telemetry struct {
	observer *otelauth.Observer
	metrics  http.Handler // GET /metrics
	provider *sdkmetric.MeterProvider
	registry *prometheus.Registry
}

func newTelemetry() (*telemetry, error) {
	reg := prometheus.NewRegistry()
	// The process's own health beside the library's.
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, err
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	// Traces follow the global provider: install one (OTLP) to get a span
	// per uncached verification, key fetch and introspection call.
	observer, err := otelauth.New(otelauth.Config{MeterProvider: provider})
	if err != nil {
		return nil, errors.Join(err, provider.Shutdown(context.Background()))
	}
	return &telemetry{
		observer: observer,
		metrics:  promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		provider: provider,
		registry: reg,
	}, nil
}

func (t *telemetry) close() error {
	return errors.Join(t.observer.Close(), t.provider.Shutdown(context.Background()))
}

// withMetrics serves GET /metrics beside app. Not through an
// http.ServeMux, which would redirect every path it finds unclean
// ("/v1/auth/../x") before app could refuse it.
func withMetrics(app, metrics http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			metrics.ServeHTTP(w, r)
			return
		}
		app.ServeHTTP(w, r)
	})
}

// serveMetrics serves /metrics, and readiness in detail at /readyz/detail,
// on a listener of their own (METRICS_ADDR), for operators only, until ctx
// ends. It returns once that server has stopped.
func serveMetrics(ctx context.Context, ln net.Listener, metrics, readyDetail http.Handler, logger *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	mux.Handle("GET /readyz/detail", readyDetail)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      readTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serving metrics: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down metrics: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving metrics: %w", err)
	}
	return nil
}

// requestIDHeader carries the request id, in and out.
const requestIDHeader = "X-Request-Id"

// withRequestID gives every request an id: the caller's X-Request-Id when
// it is 1 to 128 characters of A-Z, a-z, 0-9, '.', '_' and '-' (a load
// balancer's or a client's), else a new random one. The id is echoed in
// the answer's X-Request-Id and carried in the request's context, where
// the access log and the library's refusal records find it: a user who
// reports a refusal quotes it, and the log says why.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !validRequestID(id) {
			id = rand.Text()
		}
		w.Header().Set(requestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(core.WithRequestID(r.Context(), id)))
	})
}

func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := range len(id) {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// withAccessLog writes one record per request, once it is answered:
// method, path, status, duration and request id. Never a header (the token
// is in one) nor the query string.
func withAccessLog(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		// Deferred, so that a request whose handler panics (a client gone
		// mid-answer) is logged as well.
		defer func() {
			logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", sw.code()),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.String("request_id", core.RequestID(r.Context())),
			)
		}()
		next.ServeHTTP(sw, r)
	})
}

// statusWriter remembers the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Flush lets handlers that stream flush through the wrapper.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the writer underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// code is the status sent; 200 when the handler wrote nothing, as net/http
// then answers.
func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// readiness is what the public /readyz answers: whether tokens can be
// checked and, per issuer in the configured order, whether its keys are
// loaded, how many and how old, and whether their refresh is failing. It names no issuer and holds no error
// text: an issuer's URL and a failed fetch's error name the provider's
// internal addresses, which are nobody else's business. The detail is in
// the log (the library's "signing keys not loaded" and "key refresh failed"
// records) and at GET /readyz/detail on the metrics listener (METRICS_ADDR).
type readiness struct {
	Status       string            `json:"status"`
	Ready        bool              `json:"ready"`
	CacheEntries int               `json:"cache_entries"`
	Issuers      []issuerReadiness `json:"issuers"`
	// Revocations is the Redis store's state; absent without
	// IDENTSPHERE_REDIS_URL.
	Revocations *revocationReadiness `json:"revocations,omitempty"`
}

// revocationReadiness is the Redis store's state: counts, ages and flags,
// never its address (that goes to the log).
type revocationReadiness struct {
	// Synced: in sync with Redis now; fresh routes answer 503 otherwise.
	Synced bool `json:"synced"`
	// SyncedOnce: every denial read at least once; the replica is not
	// ready before.
	SyncedOnce bool `json:"synced_once"`
	// OverCapacity: more denials in Redis than the store holds.
	OverCapacity bool `json:"over_capacity,omitempty"`
	// LastSyncAgeSeconds is the time since the store was last known in
	// sync (0 while in sync); absent before the first sync.
	LastSyncAgeSeconds *float64 `json:"last_sync_age_seconds,omitempty"`
	Denials            int      `json:"denials"`
	Pending            int      `json:"pending_writes"`
}

// issuerReadiness is one issuer's key state, in the shape of package
// resourceserver's IssuerReadiness.
type issuerReadiness struct {
	Ready bool `json:"ready"`
	Keys  int  `json:"keys"`
	// KeysAgeSeconds is the time since the keys were last fetched; absent
	// before the first load.
	KeysAgeSeconds *float64 `json:"keys_age_seconds,omitempty"`
	// RefreshFailing: the last load or refresh of the keys failed (the log
	// and /readyz/detail say why); the keys held, if any, are still used.
	RefreshFailing bool `json:"refresh_failing"`
}

// readinessDetail is what /readyz/detail answers on the metrics listener:
// readiness with each issuer's identifier and last error (URLs and
// statuses, never a secret).
type readinessDetail struct {
	Status       string               `json:"status"`
	Ready        bool                 `json:"ready"`
	CacheEntries int                  `json:"cache_entries"`
	Issuers      []issuerDetail       `json:"issuers"`
	Revocations  *revocationReadiness `json:"revocations,omitempty"`
}

type issuerDetail struct {
	Issuer string `json:"issuer"`
	issuerReadiness
	LastError string `json:"last_error,omitempty"`
}

// readinessDetailOf reads v's Status and the revocation store's: ready
// once the keys are loaded and, with Redis, every denial has been read
// once.
func readinessDetailOf(v *core.Validator, rev *revocations) (int, readinessDetail) {
	st := v.Status()
	out := readinessDetail{Status: "ok", Ready: st.Ready, CacheEntries: st.CacheEntries, Issuers: []issuerDetail{}}
	code := http.StatusOK
	switch {
	case !st.Ready:
		out.Status, code = "waiting for signing keys", http.StatusServiceUnavailable
	case !rev.syncedOnce():
		out.Status, out.Ready, code = revocationsNotSynced, false, http.StatusServiceUnavailable
	}
	if rev.store != nil {
		out.Revocations = revocationReadinessOf(rev.store.Status())
	}
	for _, is := range st.Issuers {
		d := issuerDetail{Issuer: is.Issuer, LastError: is.LastError,
			issuerReadiness: issuerReadiness{Ready: is.Ready, Keys: is.Keys, RefreshFailing: is.LastError != ""}}
		if !is.KeysFetchedAt.IsZero() {
			age := time.Since(is.KeysFetchedAt).Round(time.Millisecond).Seconds()
			d.KeysAgeSeconds = &age
		}
		out.Issuers = append(out.Issuers, d)
	}
	return code, out
}

// readinessOf is readinessDetailOf without what only operators may see.
func readinessOf(v *core.Validator, rev *revocations) (int, readiness) {
	code, d := readinessDetailOf(v, rev)
	out := readiness{Status: d.Status, Ready: d.Ready, CacheEntries: d.CacheEntries, Revocations: d.Revocations, Issuers: make([]issuerReadiness, len(d.Issuers))}
	for i, is := range d.Issuers {
		out.Issuers[i] = is.issuerReadiness
	}
	return code, out
}

// readyzDetail serves readinessDetailOf, for the metrics listener only.
func readyzDetail(v *core.Validator, rev *revocations) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		code, body := readinessDetailOf(v, rev)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(body)
	})
}

func revocationReadinessOf(st redisstore.Status) *revocationReadiness {
	out := &revocationReadiness{Synced: st.Synced, SyncedOnce: st.SyncedOnce, OverCapacity: st.OverCapacity, Denials: st.Denials, Pending: st.Pending}
	if !st.LastSynced.IsZero() {
		age := max(time.Since(st.LastSynced), 0).Round(time.Millisecond).Seconds()
		out.LastSyncAgeSeconds = &age
	}
	return out
}

// watchRevocations exports the Redis store's state as gauges, read at each
// scrape: identsphere_revocation_synced, _synced_once, _over_capacity,
// _last_sync_age_seconds, _denials and _pending_writes. Nothing without
// IDENTSPHERE_REDIS_URL.
func (t *telemetry) watchRevocations(rev *revocations) error {
	if rev.store == nil {
		return nil
	}
	store := rev.store
	gauge := func(name, help string, value func(redisstore.Status) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "identsphere_revocation_" + name, Help: help},
			func() float64 { return value(store.Status()) })
	}
	for _, c := range []prometheus.Collector{
		gauge("synced", "1 while the revocation store is in sync with Redis (fresh routes answer 503 otherwise).",
			func(st redisstore.Status) float64 { return boolGauge(st.Synced) }),
		gauge("synced_once", "1 once the revocation store has read every denial (the replica is not ready before).",
			func(st redisstore.Status) float64 { return boolGauge(st.SyncedOnce) }),
		gauge("over_capacity", "1 while Redis holds more denials than the store's MaxEntries.",
			func(st redisstore.Status) float64 { return boolGauge(st.OverCapacity) }),
		gauge("last_sync_age_seconds", "Seconds since the revocation store was last in sync with Redis (0 while it is; -1 before the first sync).",
			func(st redisstore.Status) float64 {
				if st.LastSynced.IsZero() {
					return -1
				}
				return max(time.Since(st.LastSynced), 0).Seconds()
			}),
		gauge("denials", "Denials held in memory by this replica.",
			func(st redisstore.Status) float64 { return float64(st.Denials) }),
		gauge("pending_writes", "Revocations issued here and not yet written to Redis.",
			func(st redisstore.Status) float64 { return float64(st.Pending) }),
	} {
		if err := t.registry.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
