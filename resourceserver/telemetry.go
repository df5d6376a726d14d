package resourceserver

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/identsphere/identsphere-go/otelauth"
	"github.com/identsphere/identsphere-go/revocation/redisstore"
)

// telemetry is the OpenTelemetry meter provider, exported to Prometheus
// through a registry of its own (never the global one, so that two Servers
// in one process do not collide), and the identsphere Observer that
// records through it.
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

// watchRevocations exports the Redis store's state as gauges, read at each
// scrape: identsphere_revocation_synced, _synced_once, _over_capacity,
// _last_sync_age_seconds, _denials and _pending_writes. Nothing without
// Config.RedisURL.
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
		gauge("last_sync_age_seconds", "Seconds since the revocation store was last in sync with Redis (0 while it "+
			"is; -1 before the first sync).",
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
