package core_test

import (
	"context"
	"testing"

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
