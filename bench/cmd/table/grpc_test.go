package main

import "testing"

// The gRPC rows (issue 22): grpcauth's unary interceptor at most 1.2× the
// floor with the cache off, by both clocks; the peers' rows are named and
// have no target.
func TestGRPCTargets(t *testing.T) {
	rows, _, err := parse(openSample(t, "grpc.txt"))
	if err != nil {
		t.Fatal(err)
	}
	assertTable(t, rows,
		"| **grpcauth**, cache off, unary | 1.25 | 1.19 | 30.0 | 30 | 60000 | 48000 "+
			"| ≤ 1.2×, ≤ 75 allocs | **no** |",
		"| **grpcauth**, cache hit, unary | 0.037 | 0.036 | 2.0 | 2 | 1800 | 48000 | ≤ 0.05×, ≤ 3 allocs | yes |",
		"| auth0/go-jwt-middleware v3 `integrations/grpc` (its JWKS caching provider; no token cache) "+
			"| 1.90 | 1.88 | 150.0 | 150 | 90000 | 48000 |  |  |",
		"Targets missed: GRPC/grpcauth/uncached\n",
	)
}
