package bench

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// The machine these benchmarks run on is shared and its speed drifts by tens
// of percent within seconds, so no figure stands alone: every benchmark
// interleaves its own loop with the floor (one raw RSA-2048 verification)
// and, where there is one, with the same router without the middleware, in
// slices of a few milliseconds, and reports its cost as a multiple of the
// floor measured alongside it.
const (
	mainSlice  = 20 * time.Millisecond // the benchmark's own loop
	baseSlice  = 20 * time.Millisecond // the router alone: as long, since the cost is a difference
	floorSlice = 5 * time.Millisecond  // the floor
	checkEvery = 8                     // operations between two looks at the clock

	// settle is how long each slice runs before it is measured, so that
	// the garbage collection the previous slice left running (a cycle every
	// few milliseconds for these allocation rates) ends before the
	// measurement starts, instead of being charged to the wrong slice. Each
	// slice is then measured in its own steady state, its own collections
	// included.
	settle = 2 * time.Millisecond
)

// op is one operation: one request through a router, one verification.
// It fails the benchmark itself if the operation does not succeed.
type op func()

// subject is what a benchmark measures: run, and optionally the same work
// without what is being measured (base: the router with no middleware), both
// against floor.
type subject struct {
	run   op
	base  op // nil when there is no router to subtract
	floor op
}

// tally accumulates the wall time, process CPU time, count and heap
// allocations of one kind of operation over many slices.
type tally struct {
	wall, cpu     time.Duration
	n             int64
	allocs, bytes uint64
}

func (t *tally) add(u tally) {
	t.wall += u.wall
	t.cpu += u.cpu
	t.n += u.n
	t.allocs += u.allocs
	t.bytes += u.bytes
}

func (t tally) per(d time.Duration) float64 {
	if t.n == 0 {
		return 0
	}
	return float64(d.Nanoseconds()) / float64(t.n)
}

func (t tally) wallPerOp() float64 { return t.per(t.wall) }
func (t tally) cpuPerOp() float64  { return t.per(t.cpu) }

func (t tally) allocsPerOp() float64 {
	if t.n == 0 {
		return 0
	}
	return float64(t.allocs) / float64(t.n)
}

func (t tally) bytesPerOp() float64 {
	if t.n == 0 {
		return 0
	}
	return float64(t.bytes) / float64(t.n)
}

// mark is a point where a slice starts.
type mark struct {
	wall          time.Time
	cpu           time.Duration
	allocs, bytes uint64
}

// now marks the start of a slice; the allocation count is read first, so
// that its pause is not part of the slice.
func now() mark {
	a, b := allocCount()
	return mark{allocs: a, bytes: b, cpu: cpuTime(), wall: time.Now()}
}

// since closes a slice of n operations that started at m, reading the clocks
// before the allocation count.
func (m mark) since(n int64) tally {
	wall := time.Since(m.wall)
	cpu := cpuTime() - m.cpu
	a, b := allocCount()
	return tally{wall: wall, cpu: cpu, n: n, allocs: a - m.allocs, bytes: b - m.bytes}
}

// allocCount is the cumulative count of heap objects allocated, as
// testing's allocs/op counts them. runtime.ReadMemStats stops the world,
// but it flushes every P's allocation cache, so the count is exact at the
// instant it is read (runtime/metrics is cheaper but counts allocations only
// when a span leaves a cache, which smears them across slices). It is read
// only at slice boundaries, outside the timed part.
func allocCount() (objects, bytes uint64) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs, ms.TotalAlloc
}

// runFor runs f for settle, then measures it for about d.
func runFor(f op, d time.Duration) tally {
	for t0 := time.Now(); time.Since(t0) < settle; {
		for range checkEvery {
			f()
		}
	}
	m := now()
	var n int64
	for {
		for range checkEvery {
			f()
		}
		n += checkEvery
		if time.Since(m.wall) >= d {
			return m.since(n)
		}
	}
}

// measure runs s.run in b.Loop; every mainSlice it stops the timer, runs
// s.base (if any) for baseSlice and s.floor for floorSlice, then goes on.
// ns/op and allocs/op are s.run's alone. See report for the other metrics.
func measure(b *testing.B, s subject) {
	warmUp(s)
	var mine, base, floor tally
	side := func() {
		if s.base != nil {
			base.add(runFor(s.base, baseSlice))
		}
		floor.add(runFor(s.floor, floorSlice))
	}
	b.ReportAllocs()
	var n int64
	var start mark
	settling, t0 := true, time.Now()
	for b.Loop() {
		s.run()
		n++
		if n%checkEvery != 0 {
			continue
		}
		switch {
		case settling && time.Since(t0) >= settle:
			settling, n, start = false, 0, now()
		case !settling && time.Since(start.wall) >= mainSlice:
			mine.add(start.since(n))
			b.StopTimer()
			side()
			b.StartTimer()
			settling, n, t0 = true, 0, time.Now()
		}
	}
	if !settling && n > 0 {
		mine.add(start.since(n))
	}
	if mine.n == 0 { // a very short run, such as -benchtime=1x
		mine.add(runFor(s.run, floorSlice))
	}
	if floor.wall < floorSlice { // a very short run: measure the side once more
		side()
	}
	report(b, mine, base, floor, s.base != nil)
}

// warmUp runs everything a few times outside the timer: caches, lazy
// initialisation, first key fetches.
func warmUp(s subject) {
	for range 3 {
		s.run()
		if s.base != nil {
			s.base()
		}
		s.floor()
	}
}

// report adds the metrics the table is made of. Each cost comes twice: by
// the wall clock (what a caller waits) and by the CPU time of the whole
// process (what the machine spends, garbage collection included; it does
// not count while other processes hold the cores, so it is the steadier of
// the two on a shared machine).
//
//	floor-ns/op, floor-cpu-ns/op  the floor, measured in the same run
//	x-floor, cpu-x-floor          the operation as a multiple of the floor
//	base-ns/op, base-allocs/op    the router alone, if there is a base
//	auth-x-floor, auth-cpu-x-floor  (operation - router alone) / floor
//	auth-allocs/op                allocs/op - base-allocs/op
func report(b *testing.B, mine, base, floor tally, hasBase bool) {
	fw, fc := floor.wallPerOp(), floor.cpuPerOp()
	b.ReportMetric(fw, "floor-ns/op")
	b.ReportMetric(fc, "floor-cpu-ns/op")
	b.ReportMetric(mine.wallPerOp()/fw, "x-floor")
	b.ReportMetric(mine.cpuPerOp()/fc, "cpu-x-floor")
	aw, ac, aa := mine.wallPerOp(), mine.cpuPerOp(), mine.allocsPerOp()
	if hasBase {
		b.ReportMetric(base.wallPerOp(), "base-ns/op")
		b.ReportMetric(base.allocsPerOp(), "base-allocs/op")
		aw -= base.wallPerOp()
		ac -= base.cpuPerOp()
		aa -= base.allocsPerOp()
	}
	b.ReportMetric(aw/fw, "auth-x-floor")
	b.ReportMetric(ac/fc, "auth-cpu-x-floor")
	b.ReportMetric(aa, "auth-allocs/op")
}

// measureParallel is measure under b.RunParallel: all goroutines run s.run
// for mainSlice, then s.base for baseSlice, then s.floor for floorSlice
// (each after settling), together, switching at a barrier, so that every slice has all cores on the
// same work and its CPU time and allocations are its own.
//
// Wall figures are per operation of the whole process, as RunParallel's
// ns/op is (wall time over operations), for s.run, s.base and s.floor alike:
// floor-ns/op is the floor's throughput with every core verifying. CPU
// figures are CPU time per operation. ns/op, B/op and allocs/op are
// replaced with s.run's own, since the built-in ones would mix in the other
// slices.
func measureParallel(b *testing.B, s subject) {
	warmUp(s)
	// Each measured phase follows an unmeasured one that lets it settle.
	type phase struct {
		f        op
		d        time.Duration
		measured bool
		t        tally
	}
	var phases []*phase
	add := func(f op, d time.Duration) *phase {
		m := &phase{f: f, d: d, measured: true}
		phases = append(phases, &phase{f: f, d: settle}, m)
		return m
	}
	mineP := add(s.run, mainSlice)
	var baseP *phase
	if s.base != nil {
		baseP = add(s.base, baseSlice)
	}
	floorP := add(s.floor, floorSlice)

	// Shared state, guarded by mu.
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		parties = runtime.GOMAXPROCS(0) // RunParallel's goroutines, at parallelism 1
		arrived int                     // goroutines waiting at the barrier
		gen     int                     // barrier generation
		cur     = -1                    // current phase; -1 before the start
		start   mark                    // when the current phase started
		ops     int64                   // its operations so far
		busy    time.Duration           // time spent in them, summed over goroutines
		workers int                     // goroutines that contributed to busy
	)
	// trip ends the current phase, with mu held. Every goroutine is waiting
	// at the barrier or gone, so the CPU time and allocations since start
	// are the phase's own.
	trip := func() {
		if cur >= 0 && workers > 0 && phases[cur].measured {
			t := start.since(ops)
			t.wall = busy / time.Duration(workers) // the phase's wall time, without the barrier
			phases[cur].t.add(t)
		}
		ops, busy, workers, arrived = 0, 0, 0, 0
		cur = (cur + 1) % len(phases)
		gen++
		start = now()
		cond.Broadcast()
	}
	// await waits for the other goroutines and returns the next phase.
	await := func() int {
		arrived++
		if arrived == parties {
			trip()
		} else {
			for g := gen; g == gen; {
				cond.Wait()
			}
		}
		return cur
	}

	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		p := await()
		mu.Unlock()
		for {
			ph := phases[p]
			var n int64
			done := false
			t0 := time.Now()
			for {
				if ph == mineP && !pb.Next() {
					done = true
					break
				}
				ph.f()
				n++
				if n%checkEvery == 0 && time.Since(t0) >= ph.d {
					break
				}
			}
			el := time.Since(t0)
			mu.Lock()
			ops += n
			busy += el
			workers++
			if done {
				parties--
				if parties == 0 || arrived == parties {
					trip()
				}
				mu.Unlock()
				return
			}
			p = await()
			mu.Unlock()
		}
	})
	b.StopTimer()
	mine, floor := mineP.t, floorP.t
	var base tally
	if baseP != nil {
		base = baseP.t
	}
	if mine.n == 0 || floor.n == 0 { // a very short run, such as -benchtime=1x
		mine.add(runFor(s.run, floorSlice))
		floor.add(runFor(s.floor, floorSlice))
		if s.base != nil {
			base.add(runFor(s.base, baseSlice))
		}
	}
	b.ReportMetric(mine.wallPerOp(), "ns/op")
	b.ReportMetric(mine.allocsPerOp(), "allocs/op")
	b.ReportMetric(mine.bytesPerOp(), "B/op")
	report(b, mine, base, floor, s.base != nil)
}
