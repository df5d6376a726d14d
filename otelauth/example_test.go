package otelauth_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/otelauth"
	"github.com/identsphere/identsphere-go/stdauth"
)

// The Observer in a Validator's Config, and the gauges watched: here over
// the SDK with a ManualReader, to print what was recorded. A service
// installs its exporter's reader instead (Prometheus, OTLP), or leaves the
// providers empty to use the global ones.
func Example() {
	iss := authtest.NewIssuer()
	defer iss.Close()

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()

	obs, err := otelauth.New(otelauth.Config{MeterProvider: mp})
	if err != nil {
		log.Fatal(err)
	}
	v, err := core.New(context.Background(), core.Config{
		Issuer:   iss.URL(),
		Audience: []string{iss.Audience()},
		Observer: obs,
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	if err := obs.Watch(v); err != nil {
		log.Fatal(err)
	}
	defer obs.Close()
	_ = v.WaitReady(context.Background())

	h := stdauth.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	valid := iss.MustMint(nil)
	for _, token := range []string{valid, valid, iss.MustMint(authtest.Claims{"exp": time.Now().Add(-time.Hour)}), ""} {
		r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	var lines []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch data := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, p := range data.DataPoints {
				lines = append(lines, fmt.Sprintf("%s{%s} %d", m.Name, labels(p.Attributes), p.Value))
			}
		case metricdata.Gauge[int64]:
			for _, p := range data.DataPoints {
				lines = append(lines, fmt.Sprintf("%s{%s} %d", m.Name, labels(p.Attributes), p.Value))
			}
		}
	}
	slices.Sort(lines)
	fmt.Println(strings.ReplaceAll(strings.Join(lines, "\n"), iss.URL(), "ISSUER"))
	// Output:
	// identsphere.cache.entries{} 1
	// identsphere.cache.hits{issuer=ISSUER} 1
	// identsphere.cache.misses{issuer=ISSUER} 1
	// identsphere.decisions{check=exp,issuer=ISSUER,result=refused} 1
	// identsphere.decisions{check=missing,issuer=,result=refused} 1
	// identsphere.decisions{issuer=ISSUER,result=admitted} 2
	// identsphere.events{event=keys_loaded,issuer=ISSUER} 1
	// identsphere.jwks.fetches{issuer=ISSUER,outcome=ok} 1
	// identsphere.keys.refresh_failing{issuer=ISSUER} 0
	// identsphere.keys{issuer=ISSUER} 1
	// identsphere.ready{} 1
}

// labels prints an attribute set as k=v,k=v, sorted by key.
func labels(set attribute.Set) string {
	var kv []string
	for it := set.Iter(); it.Next(); {
		a := it.Attribute()
		kv = append(kv, string(a.Key)+"="+a.Value.String())
	}
	return strings.Join(kv, ",")
}
