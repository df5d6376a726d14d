package main

import (
	"bytes"
	"strings"
	"testing"
)

// The cache hit observed through otelauth (issue 12): 0.05× and one
// allocation with no provider, 0.06× with the SDK and Prometheus.
func TestObservedTargets(t *testing.T) {
	const sample = `BenchmarkObserved/stdauth-otel-noop/cached-2   1000   6000 ns/op   1.000 auth-allocs/op   0.040 auth-cpu-x-floor   0.041 auth-x-floor   45000 floor-ns/op   15 allocs/op
BenchmarkObserved/stdauth-otel-sdk-prometheus/cached-2   1000   7000 ns/op   1.000 auth-allocs/op   0.055 auth-cpu-x-floor   0.058 auth-x-floor   45000 floor-ns/op   15 allocs/op
BenchmarkObserved/stdauth-otel-no-provider/cached-2   1000   7000 ns/op   2.000 auth-allocs/op   0.040 auth-cpu-x-floor   0.040 auth-x-floor   45000 floor-ns/op   16 allocs/op
`
	rows, _, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	write(&buf, rows)
	out := buf.String()
	for _, want := range []string{
		"| **stdauth**, cache hit, otelauth over the noop providers | 0.040 | 0.041 | 1.0 | 15 | 6000 | 45000 | ≤ 0.05×, ≤ " +
			"1 allocs | yes |",
		"| **stdauth**, cache hit, otelauth over the OTel SDK + Prometheus exporter | 0.055 | 0.058 | 1.0 | 15 | 7000 | " +
			"45000 | ≤ 0.06×, ≤ 1 allocs | yes |",
		"| **stdauth**, cache hit, otelauth, no provider installed | 0.040 | 0.040 | 2.0 | 16 | 7000 | 45000 | ≤ 0.05×, ≤ " +
			"1 allocs | **no** |",
		"Targets missed: Observed/stdauth-otel-no-provider/cached",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
