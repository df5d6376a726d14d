package main

import "testing"

// The cache hit observed through otelauth (issue 12): 0.05× and one
// allocation with no provider, 0.06× with the SDK and Prometheus.
func TestObservedTargets(t *testing.T) {
	rows, _, err := parse(openSample(t, "observed.txt"))
	if err != nil {
		t.Fatal(err)
	}
	assertTable(t, rows,
		"| **stdauth**, cache hit, otelauth over the noop providers "+
			"| 0.040 | 0.041 | 1.0 | 15 | 6000 | 45000 | ≤ 0.05×, ≤ 1 allocs | yes |",
		"| **stdauth**, cache hit, otelauth over the OTel SDK + Prometheus exporter "+
			"| 0.055 | 0.058 | 1.0 | 15 | 7000 | 45000 | ≤ 0.06×, ≤ 1 allocs | yes |",
		"| **stdauth**, cache hit, otelauth, no provider installed "+
			"| 0.040 | 0.040 | 2.0 | 16 | 7000 | 45000 | ≤ 0.05×, ≤ 1 allocs | **no** |",
		"Targets missed: Observed/stdauth-otel-no-provider/cached",
	)
}
