package core_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// BenchmarkIssuers compares one issuer (New) with a hundred (NewMulti), on
// a cache hit and uncached; compare with BenchmarkFloor. Targets: with 100
// issuers, a hit costs at most 0.005× the floor more, an uncached verify at
// most 0.01× more. BenchmarkIssuersOverhead measures the difference
// directly.
//
// gc-cpu-ns/op is what the garbage collector spent per verify, idle-time
// marking aside. A hundred issuers keep some 700 KB of state (their keys,
// configuration and timers), which the collector marks. In a process that
// holds nothing else ("bare"), below Go's minimum heap goal of 4 MiB, that
// costs per verify as much as any 700 KB would; in a process with an
// application's heap ("app16MiB": 16 MiB of small linked objects), the
// collector paces its cycles by the whole heap, and it costs nothing
// measurable.
func BenchmarkIssuers(b *testing.B) {
	iss, _, token := benchEnv(b)
	// b is the sub-benchmark's: a Validator lives only while it is measured.
	build := func(b *testing.B, n int, disableCache bool) *core.Validator {
		if n == 1 {
			return authcases.NewValidator(
				b,
				core.Config{
					Issuer:       iss.URL(),
					Audience:     []string{authcases.Audience},
					DisableCache: disableCache,
					Logger:       authcases.Discard(),
				},
			)
		}
		return hundredIssuers(b, iss, disableCache)
	}
	for _, app := range []int{0, 16 << 20} {
		for _, n := range []int{1, 100} {
			for _, uncached := range []bool{false, true} {
				name := fmt.Sprintf("%d/hit", n)
				if uncached {
					name = fmt.Sprintf("%d/uncached", n)
				}
				if app == 0 {
					name = "bare/" + name
				} else {
					name = "app16MiB/" + name
				}
				b.Run(name, func(b *testing.B) {
					heap := appHeap(app)
					v := build(b, n, uncached)
					ctx := context.Background()
					b.ReportAllocs()
					gc := gcCPU()
					for b.Loop() {
						if _, err := v.Verify(ctx, token); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(gcCPU()-gc)/float64(b.N), "gc-cpu-ns/op")
					runtime.KeepAlive(heap)
				})
			}
		}
	}
}

// hundredIssuers is a Validator of a hundred issuers (NewMulti), iss's the
// last, the other 99 publishing iss's keys under their own names; it is
// closed when b ends.
func hundredIssuers(b *testing.B, iss *authtest.Issuer, disableCache bool) *core.Validator {
	mc := core.MultiConfig{DisableCache: disableCache}
	for i := range 99 {
		mc.Issuers = append(
			mc.Issuers,
			core.Config{
				Issuer:   fmt.Sprintf("https://issuer-%d.example", i),
				JWKSURL:  iss.JWKSURL(),
				Audience: []string{authcases.Audience},
			},
		)
	}
	mc.Issuers = append(mc.Issuers, core.Config{Issuer: iss.URL(), Audience: []string{authcases.Audience}})
	return newMulti(b, mc)
}

// appObject stands for an application's own objects.
type appObject struct {
	next *appObject
	name string
	_    [48]byte
}

// appHeap builds about size bytes of an application's live objects.
func appHeap(size int) *appObject {
	var head *appObject
	for range size / 80 {
		head = &appObject{next: head, name: "x"}
	}
	return head
}

// gcCPU is the CPU time the garbage collector has used so far, but for
// its idle-time marking: that fills cores that would idle otherwise, as
// much as there is idle time, and takes nothing from requests.
func gcCPU() time.Duration {
	s := []metrics.Sample{
		{Name: "/cpu/classes/gc/mark/assist:cpu-seconds"},
		{Name: "/cpu/classes/gc/mark/dedicated:cpu-seconds"},
		{Name: "/cpu/classes/gc/pause:cpu-seconds"},
	}
	metrics.Read(s)
	total := 0.0
	for _, v := range s {
		total += v.Value.Float64()
	}
	return time.Duration(total * float64(time.Second))
}

// BenchmarkIssuersOverhead measures BenchmarkIssuers' targets directly, on
// a shared machine: every iteration times one floor verification and the
// same token verified by a one-issuer and a hundred-issuer Validator,
// taking turns going first, so that load on the machine weighs on all
// alike. It reports what a hundred issuers cost more than one, as a
// multiple of the floor. Both Validators are alive throughout, so the
// garbage collector's marking of the hundred issuers' state weighs on both
// (BenchmarkIssuers, run one at a time, includes it).
func BenchmarkIssuersOverhead(b *testing.B) {
	iss, _, token := benchEnv(b)
	checkFloor := floorCheck(b)
	for _, uncached := range []bool{false, true} {
		name := "hit"
		if uncached {
			name = "uncached"
		}
		b.Run(name, func(b *testing.B) {
			one := authcases.NewValidator(
				b,
				core.Config{
					Issuer:       iss.URL(),
					Audience:     []string{authcases.Audience},
					DisableCache: uncached,
					Logger:       authcases.Discard(),
				},
			)
			hundred := hundredIssuers(b, iss, uncached)
			ctx := context.Background()
			verify := func(v *core.Validator) time.Duration {
				t0 := time.Now()
				if _, err := v.Verify(ctx, token); err != nil {
					b.Fatal(err)
				}
				return time.Since(t0)
			}
			var floor, d1, d100 time.Duration
			for i := 0; b.Loop(); i++ {
				t0 := time.Now()
				checkFloor()
				floor += time.Since(t0)
				if i%2 == 0 {
					d1 += verify(one)
					d100 += verify(hundred)
				} else {
					d100 += verify(hundred)
					d1 += verify(one)
				}
			}
			n := float64(b.N)
			b.ReportMetric(float64(d1)/n, "1-issuer-ns/op")
			b.ReportMetric(float64(d100)/n, "100-issuers-ns/op")
			b.ReportMetric(float64(floor)/n, "floor-ns/op")
			b.ReportMetric(float64(d100-d1)/float64(floor), "overhead×floor")
		})
	}
}

// BenchmarkFailedTenantRefusal is the cost of refusing a token of a tenant
// whose first key load failed (TestFailedTenantIsDroppedAndRefusedCheaply),
// as a multiple of the floor: every iteration times one floor verification
// and one refusal. Target: ≤ 0.2× floor.
func BenchmarkFailedTenantRefusal(b *testing.B) {
	p := newTenantsProvider(b)
	obs := newRecObserver()
	v := newMulti(b, core.MultiConfig{
		Observer: obs, Now: newFakeClock().Now,
		Templates: []core.IssuerTemplate{{
			Issuer:      p.template(),
			Config:      core.Config{Audience: []string{"api://orders"}},
			AllowTenant: func(string) bool { return true },
		}},
	})
	token := p.unsigned("gone")
	ctx := context.Background()
	_, _ = v.Verify(ctx, token)
	obs.wait(b, core.EventTenantFailed, 1)
	checkFloor := floorCheck(b)
	before := p.junkRequests.Load()
	var floor, refusal time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		checkFloor()
		t1 := time.Now()
		if _, err := v.Verify(ctx, token); !errors.Is(err, core.ErrKeysUnavailable) {
			b.Fatalf("a token of a failed tenant: %v", err)
		}
		refusal += time.Since(t1)
		floor += t1.Sub(t0)
	}
	if n := p.junkRequests.Load() - before; n != 0 {
		b.Fatalf("%d requests for a failed tenant", n)
	}
	n := float64(b.N)
	b.ReportMetric(float64(refusal)/n, "refusal-ns/op")
	b.ReportMetric(float64(floor)/n, "floor-ns/op")
	b.ReportMetric(float64(refusal)/float64(floor), "refusal×floor")
}
