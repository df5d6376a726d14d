package bench

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/otelauth"
)

// What the observability of issue 12 costs a cache hit: stdauth with the
// token in the header, the cache on, and
//
//   - no Observer at all;
//   - otelauth over the global providers with none installed (what a
//     library user who imports otelauth but installs no SDK gets);
//   - otelauth over the API's noop providers;
//   - otelauth over the OpenTelemetry SDK (metrics and traces) with the
//     Prometheus exporter registered, as the starters run it.
//
// A cache hit makes no span; it adds to two counters (decisions, cache
// hits) with precomputed attribute sets.

// sdkObserver is otelauth over the SDK, exported to a Prometheus registry.
func sdkObserver(tb testing.TB) (*otelauth.Observer, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		tb.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	tp := sdktrace.NewTracerProvider()
	tb.Cleanup(func() {
		_ = mp.Shutdown(context.Background())
		_ = tp.Shutdown(context.Background())
	})
	obs, err := otelauth.New(otelauth.Config{MeterProvider: mp, TracerProvider: tp})
	if err != nil {
		tb.Fatal(err)
	}
	return obs, reg
}

// observedSubject is stdauth's cache hit with the Observer observer
// returns (nil: none).
func observedSubject(observer func(testing.TB) core.Observer) func(tb testing.TB) subject {
	return func(tb testing.TB) subject {
		e := getEnv(tb)
		v, err := e.ValidatorWith(context.Background(), core.Config{Observer: observer(tb)})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = v.Close() })
		mw, base := adapter("stdauth", v)
		hdr := bearer(e.Token)
		return subject{run: request(mw, hdr), base: request(base, hdr), floor: newFloors(tb).rs256}
	}
}

var observedContestants = []contestant{
	{"stdauth-no-observer/cached", observedSubject(func(testing.TB) core.Observer { return nil })},
	{"stdauth-otel-no-provider/cached", observedSubject(func(tb testing.TB) core.Observer {
		obs, err := otelauth.New(otelauth.Config{}) // the globals, none installed
		if err != nil {
			tb.Fatal(err)
		}
		return obs
	})},
	{"stdauth-otel-noop/cached", observedSubject(func(tb testing.TB) core.Observer {
		obs, err := otelauth.New(
			otelauth.Config{
				MeterProvider:  metricnoop.NewMeterProvider(),
				TracerProvider: tracenoop.NewTracerProvider(),
			},
		)
		if err != nil {
			tb.Fatal(err)
		}
		return obs
	})},
	{"stdauth-otel-sdk-prometheus/cached", observedSubject(func(tb testing.TB) core.Observer {
		obs, _ := sdkObserver(tb)
		return obs
	})},
}

func BenchmarkObserved(b *testing.B) { runAll(b, observedContestants, measure) }

// TestObservedContestants runs each once, and proves the SDK contestant
// records: its cache hits reach the Prometheus registry.
func TestObservedContestants(t *testing.T) {
	for _, c := range observedContestants {
		t.Run(c.name, func(t *testing.T) {
			s := c.make(t)
			for range 2 {
				s.run()
				s.base()
				s.floor()
			}
		})
	}
	obs, reg := sdkObserver(t)
	s := observedSubject(func(testing.TB) core.Observer { return obs })(t)
	for range 3 {
		s.run()
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var hits float64
	for _, f := range families {
		if f.GetName() == "identsphere_cache_hits_total" {
			for _, m := range f.GetMetric() {
				hits += m.GetCounter().GetValue()
			}
		}
	}
	// The fixture's Validator verified the token once before serving.
	if hits != 3 {
		t.Fatalf("%v cache hits exported, want 3", hits)
	}
}
