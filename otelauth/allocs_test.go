package otelauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/otelauth"
)

// A cache hit through stdauth with the Observer costs one allocation above
// the router's own, as without it (core's admission): over the noop
// providers, over the global ones with none installed, and over the SDK,
// whose counters take the precomputed attribute sets.
func TestCacheHitAllocations(t *testing.T) {
	for _, tc := range []struct {
		name string
		mp   func(t *testing.T) (metric.MeterProvider, *sdkmetric.ManualReader)
	}{
		{"noop provider", func(*testing.T) (metric.MeterProvider, *sdkmetric.ManualReader) {
			return metricnoop.NewMeterProvider(), nil
		}},
		// This test installs no global provider: otel's own, which
		// record nothing until one is.
		{"global providers, none installed", func(*testing.T) (metric.MeterProvider, *sdkmetric.ManualReader) {
			return nil, nil
		}},
		{"SDK", func(t *testing.T) (metric.MeterProvider, *sdkmetric.ManualReader) {
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
			return mp, reader
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mp, reader := tc.mp(t)
			cfg := otelauth.Config{MeterProvider: mp, TracerProvider: tracenoop.NewTracerProvider()}
			if mp == nil {
				cfg = otelauth.Config{}
			}
			obs, err := otelauth.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			iss := authtest.Start(t)
			v := iss.Validator(t, func(c *core.Config) { c.Observer = obs })
			h := router(v, nil)
			token := iss.Token(t, nil)
			serve := func(path string) func() {
				return func() {
					r := httptest.NewRequest(http.MethodGet, path, nil)
					r.Header.Set("Authorization", "Bearer "+token)
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != http.StatusNoContent {
						panic(path + ": " + http.StatusText(w.Code))
					}
				}
			}
			serve("/api/me")() // fills the cache
			const runs = 200
			guarded := testing.AllocsPerRun(runs, serve("/api/me"))
			open := testing.AllocsPerRun(runs, serve("/open"))
			if extra := guarded - open; extra != 1 {
				t.Fatalf("a cache hit costs %v allocations above the router's %v, want 1", extra, open)
			}
			if reader == nil {
				return
			}
			// The hits were counted: the SDK did record them.
			var rm metricdata.ResourceMetrics
			if err := reader.Collect(context.Background(), &rm); err != nil {
				t.Fatal(err)
			}
			ms := map[string]metricdata.Metrics{}
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					ms[m.Name] = m
				}
			}
			// AllocsPerRun runs once more than asked, to warm up.
			if got := count(t, ms, otelauth.MetricCacheHits, nil); got != runs+1 {
				t.Errorf("%d cache hits counted, want %d", got, runs+1)
			}
		})
	}
}

// BenchmarkDecided is what Decided adds to a cache hit, alone: a lookup of
// the (result, check, issuer) and one atomic addition, whatever the
// provider.
func BenchmarkDecided(b *testing.B) {
	sdk := func(b *testing.B) metric.MeterProvider {
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
		return mp
	}
	for _, bc := range []struct {
		name string
		mp   func(*testing.B) metric.MeterProvider
	}{
		{"noop", func(*testing.B) metric.MeterProvider { return metricnoop.NewMeterProvider() }},
		{"global-unset", func(*testing.B) metric.MeterProvider { return nil }},
		{"sdk", sdk},
	} {
		b.Run(bc.name, func(b *testing.B) {
			obs, err := otelauth.New(
				otelauth.Config{MeterProvider: bc.mp(b), TracerProvider: tracenoop.NewTracerProvider()},
			)
			if err != nil {
				b.Fatal(err)
			}
			d := core.Decision{Admitted: true, Issuer: "https://id.example.com", Cached: true, Status: http.StatusOK}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				obs.Decided(ctx, d)
			}
		})
	}
}
