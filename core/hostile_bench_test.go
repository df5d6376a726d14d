package core_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"

	"github.com/identsphere/identsphere-go/internal/authcases"
)

// BenchmarkRefuseHostile measures what refusing the costliest tokens we can
// build costs, each MaxTokenSize bytes; compare with BenchmarkFloor (one
// RSA-2048 verification). Tokens refused before the signature check are
// the target (at most 0.2× the floor each); forged ones, whose header
// passes and names a published key, cost one signature check over their
// size, as every token of that size does.
func BenchmarkRefuseHostile(b *testing.B) {
	_, v, _ := benchEnv(b)
	ctx := context.Background()
	for _, h := range authcases.HostileTokens() {
		b.Run(h.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, h.Token); err == nil {
					b.Fatal("a hostile token was accepted")
				}
			}
		})
	}
}

// BenchmarkRefuseHostileVsFloor is BenchmarkRefuseHostile as a multiple of
// the floor, for a shared machine: every iteration times one floor
// verification and then a few refusals of the same token, so that load on
// the machine weighs on both alike (BenchmarkRefuseHostile and
// BenchmarkFloor, timed seconds apart, drift with the load by more than
// the differences they are meant to show). Forged tokens are left out:
// they cost a signature check. Target: each at most 0.2× the floor.
func BenchmarkRefuseHostileVsFloor(b *testing.B) {
	_, v, _ := benchEnv(b)
	ctx := context.Background()
	checkFloor := floorCheck(b)
	for _, h := range authcases.HostileTokens() {
		if h.Forged {
			continue
		}
		b.Run(h.Name, func(b *testing.B) {
			const refusals = 8 // per floor, so that the clock's own cost stays small beside them
			var floor, refusal time.Duration
			for b.Loop() {
				t0 := time.Now()
				checkFloor()
				t1 := time.Now()
				for range refusals {
					if _, err := v.Verify(ctx, h.Token); err == nil {
						b.Fatal("a hostile token was accepted")
					}
				}
				refusal += time.Since(t1)
				floor += t1.Sub(t0)
			}
			n := float64(b.N)
			b.ReportMetric(float64(refusal)/n/refusals, "refusal-ns/op")
			b.ReportMetric(float64(floor)/n, "floor-ns/op")
			b.ReportMetric(float64(refusal)/refusals/float64(floor), "refusal×floor")
		})
	}
}

// Refusing a hostile token before its signature check allocates almost
// nothing, whatever its size: the header is capped and read in place, and
// neither the payload nor the token digest is touched. (Allocation counts
// are exact, unlike timings; BenchmarkRefuseHostile has the timings.)
func TestHostileTokensAreRefusedBeforeAnyCostlyWork(t *testing.T) {
	_, v, _ := benchEnv(t)
	ctx := context.Background()
	for _, h := range authcases.HostileTokens() {
		if h.Forged {
			continue
		}
		if len(h.Token) > core.DefaultMaxTokenSize {
			t.Fatalf("%s: %d bytes, over the cap it is meant to fill", h.Name, len(h.Token))
		}
		var err error
		allocs := testing.AllocsPerRun(20, func() { _, err = v.Verify(ctx, h.Token) })
		if err == nil {
			t.Fatalf("%s: accepted", h.Name)
		}
		limit := 2.0
		if strings.Contains(h.Name, "escaped") {
			limit = 3 // unescaping a member name copies it, once per header
		}
		if allocs > limit {
			t.Errorf("%s: refusing it allocates %.0f times, want at most %.0f", h.Name, allocs, limit)
		}
	}
}
