package redisstore_test

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/internal/redistest"
	"github.com/identsphere/identsphere-go/revocation/redisstore"
)

// BenchmarkResync measures what a replica pays to read every denial when it
// starts or reconnects: the time until it is in sync (ns/op) and the memory
// the denials take (B/denial, the live heap after the read less before it),
// at 10,000, 100,000 and 1,000,000 denials in a real redis-server.
//
//	go test -run '^$' -bench Resync -benchtime 1x ./revocation/redisstore/
func BenchmarkResync(b *testing.B) {
	if !redistest.RequireReal(b, "the figures of an in-process Redis say nothing of a real one") {
		return
	}
	redis := redistest.Start(b)
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			fill(b, redis, n)
			cfg := redisstore.Config{URL: redis.URL(), Logger: discard(), MaxEntries: n, Timeout: 10 * time.Second}
			var perDenial float64
			for b.Loop() {
				before := liveHeap()
				s, err := redisstore.New(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.WaitSynced(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if got := s.Len(); got != n {
					b.Fatalf("holds %d denials, want %d", got, n)
				}
				perDenial = float64(liveHeap()-before) / float64(n)
				runtime.KeepAlive(s)
				_ = s.Close()
				b.StartTimer()
			}
			b.ReportMetric(perDenial, "B/denial")
		})
	}
}

// fill makes n session denials in Redis: one written by a Store (so the
// key and value are as a Store writes them, whatever their format), then
// copied under other session ids in pipelined batches.
func fill(b *testing.B, redis *redistest.Server, n int) {
	b.Helper()
	raw := redis.Client()
	defer raw.Close()
	ctx := context.Background()
	if err := raw.FlushAll(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	s, err := redisstore.New(ctx, redisstore.Config{URL: redis.URL(), Logger: discard()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const model = "s-model"
	if err := s.RevokeSession(ctx, "https://issuer.example", model, time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	keys, err := raw.Keys(ctx, redisstore.DefaultKeyPrefix+"*").Result()
	if err != nil || len(keys) != 1 {
		b.Fatalf("keys %v, %v", keys, err)
	}
	value, err := raw.Get(ctx, keys[0]).Result()
	if err != nil {
		b.Fatal(err)
	}
	for start := 0; start < n; start += 10_000 {
		p := raw.Pipeline()
		for i := start; i < min(start+10_000, n); i++ {
			p.Set(ctx, strings.Replace(keys[0], model, "s-"+strconv.Itoa(i), 1), value, 2*time.Hour)
		}
		if _, err := p.Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if err := raw.Del(ctx, keys[0]).Err(); err != nil {
		b.Fatal(err)
	}
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
