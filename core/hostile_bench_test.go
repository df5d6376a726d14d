package core_test

import (
	"context"
	"strings"
	"testing"

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
