package core_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// BenchmarkIssuers compares one issuer (New) with a hundred (NewMulti), on
// a cache hit and uncached; compare with BenchmarkFloor. Targets: with 100
// issuers, a hit costs at most 0.005× the floor more, an uncached verify at
// most 0.01× more.
func BenchmarkIssuers(b *testing.B) {
	iss, _, token := benchEnv(b)
	build := func(n int, disableCache bool) *core.Validator {
		if n == 1 {
			return authcases.NewValidator(b, core.Config{Issuer: iss.URL(), Audience: []string{authcases.Audience}, DisableCache: disableCache, Logger: authcases.Discard()})
		}
		mc := core.MultiConfig{DisableCache: disableCache, Logger: authcases.Discard()}
		for i := range n - 1 {
			mc.Issuers = append(mc.Issuers, core.Config{Issuer: fmt.Sprintf("https://issuer-%d.example", i), JWKSURL: iss.JWKSURL(), Audience: []string{authcases.Audience}})
		}
		mc.Issuers = append(mc.Issuers, core.Config{Issuer: iss.URL(), Audience: []string{authcases.Audience}})
		v, err := core.NewMulti(context.Background(), mc)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = v.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := v.WaitReady(ctx); err != nil {
			b.Fatal(err)
		}
		return v
	}
	for _, n := range []int{1, 100} {
		for _, uncached := range []bool{false, true} {
			name := fmt.Sprintf("%d/hit", n)
			if uncached {
				name = fmt.Sprintf("%d/uncached", n)
			}
			b.Run(name, func(b *testing.B) {
				v := build(n, uncached)
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					if _, err := v.Verify(ctx, token); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
