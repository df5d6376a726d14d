// Command flood attacks the chi adapter with tokens naming random, unknown
// kids while a legitimate client measures its own latency.
//
// An unknown kid is what a rotated key looks like, so the validator may
// refresh its keys on one; a flood of them must neither flood the issuer
// (at most one JWKS fetch per UnknownKIDRefreshInterval, 5 s by default) nor
// slow down requests with a known key.
//
// Each scenario gets a fresh issuer, validator and server on loopback:
//
//	burst      -bursts times, -concurrency requests at once
//	sustained  -concurrency workers sending back to back for -duration
//	slow JWKS  the bursts while the issuer takes 2 s to answer the JWKS
//	           refresh they trigger: a legitimate request that waited for it
//	           would take seconds
//	control    the same floods against /healthz, which needs no token: what
//	           1,000 concurrent requests cost this machine whatever they
//	           carry
//
// Each runs twice: over loopback HTTP (server, flood and legitimate clients
// share the machine's cores, so the flood's HTTP costs on both ends weigh on
// the legitimate requests), and in process, requests handed to the router
// as httptest requests, as the benchmarks measure them: what the library
// itself adds, without the network stack.
//
// The legitimate clients send GET /api/me with a valid token, one at a
// time, alone for -baseline and then during the flood; the added latency is
// the difference of the percentiles.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/bench/internal/fixture"
	"github.com/identsphere/identsphere-go/core"
)

type options struct {
	concurrency, bursts, legit int
	duration, baseline         time.Duration
	cache                      bool
}

func main() {
	var o options
	flag.IntVar(&o.concurrency, "concurrency", 1000, "concurrent flood requests")
	flag.IntVar(&o.bursts, "bursts", 10, "bursts of -concurrency requests in the burst scenarios, back to back")
	flag.DurationVar(
		&o.duration,
		"duration",
		3*time.Second,
		"length of the sustained flood; under 5s, the unknown-kid "+
			"refresh interval, so that one fetch at most is expected",
	)
	flag.DurationVar(&o.baseline, "baseline", 2*time.Second, "how long the legitimate clients run alone first")
	flag.IntVar(&o.legit, "legit", 4, "legitimate clients, each sending one request at a time on its own connection")
	flag.BoolVar(&o.cache, "cache", true, "the validator's verified-token cache (on by default in core)")
	flag.Parse()

	fmt.Printf(
		"flood: %d concurrent requests with random kids through chiauth, over loopback HTTP and in process (cache "+
			"%s): %d bursts, or sustained for %v; %d legitimate clients, alone for %v first\n\n",
		o.concurrency,
		onOff(o.cache),
		o.bursts,
		o.duration,
		o.legit,
		o.baseline,
	)
	fmt.Println(
		"| scenario | flood requests | flood answers | JWKS fetches during flood | legit requests (alone / during) | " +
			"p50 alone → during | p99 alone → during | added p50 | added " +
			"p99 | max during | flood requests' own p50 / max |",
	)
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	results := map[string]*result{}
	for _, sc := range scenarios {
		r, err := run(sc, o)
		if err != nil {
			fmt.Fprintln(os.Stderr, "flood:", sc.name+":", err)
			os.Exit(1)
		}
		results[sc.name] = r
		fmt.Println(r.row())
	}
	fmt.Println()
	for _, where := range []string{"", "in-process "} {
		for _, kind := range []string{"burst", "sustained"} {
			r, c := results[where+kind], results[where+"control "+kind]
			fmt.Printf(
				"%s%s: %d JWKS fetch(es) during the flood (target: at most 1); p99 added %s (target: under 5 ms); the "+
					"unknown kids themselves, beyond the same flood of "+
					"token-less requests: p50 %+.2f ms, p99 %+.2f ms.\n",
				where,
				kind,
				r.fetches,
				ms(r.added(0.99)),
				float64(pct(r.during, 0.5)-pct(c.during, 0.5))/float64(time.Millisecond),
				float64(pct(r.during, 0.99)-pct(c.during, 0.99))/float64(time.Millisecond),
			)
		}
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

type result struct {
	scenario          string
	floodReqs         int64
	answers           map[int]int64
	transportErrs     int64
	fetches           int64
	alone, during     []time.Duration // sorted
	flood             []time.Duration // sorted: the flood requests' own latency
	legitErrsDuring   int64
	legitErrsBaseline int64
}

func pct(s []time.Duration, p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	i := int(p*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func (r *result) added(p float64) time.Duration { return pct(r.during, p) - pct(r.alone, p) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func (r *result) row() string {
	var answers []string
	codes := make([]int, 0, len(r.answers))
	for c := range r.answers {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		answers = append(answers, fmt.Sprintf("%d×%d", r.answers[c], c))
	}
	if r.transportErrs > 0 {
		answers = append(answers, fmt.Sprintf("%d transport errors", r.transportErrs))
	}
	fetches := fmt.Sprint(r.fetches)
	if strings.HasPrefix(r.scenario, "control") {
		fetches += " (no token needed)"
	}
	legit := fmt.Sprintf("%d / %d", len(r.alone), len(r.during))
	if r.legitErrsBaseline+r.legitErrsDuring > 0 {
		legit += fmt.Sprintf(" (%d failed)", r.legitErrsBaseline+r.legitErrsDuring)
	}
	var maxDuring time.Duration
	if len(r.during) > 0 {
		maxDuring = r.during[len(r.during)-1]
	}
	var maxFlood time.Duration
	if len(r.flood) > 0 {
		maxFlood = r.flood[len(r.flood)-1]
	}
	return fmt.Sprintf("| %s | %d | %s | %s | %s | %s → %s | %s → %s | %s | %s | %s | %s / %s |",
		r.scenario, r.floodReqs, strings.Join(answers, ", "), fetches, legit,
		ms(pct(r.alone, 0.5)), ms(pct(r.during, 0.5)), ms(pct(r.alone, 0.99)), ms(pct(r.during, 0.99)),
		ms(r.added(0.5)), ms(r.added(0.99)), ms(maxDuring), ms(pct(r.flood, 0.5)), ms(maxFlood))
}

// scenario is one flood: its name, whether it is a series of bursts or a
// sustained flood, and the path it attacks.
type scenario struct {
	name  string
	burst bool
	path  string
	// slowJWKS makes the issuer hold every JWKS request this long during
	// the flood, so that a legitimate request that waited for the refresh
	// an unknown kid triggers would show it.
	slowJWKS time.Duration
	// inproc hands the requests to the router in process instead of
	// sending them over loopback HTTP.
	inproc bool
}

var scenarios = []scenario{
	{"burst", true, "/api/me", 0, false},
	{"sustained", false, "/api/me", 0, false},
	{"burst, JWKS answers in 2 s", true, "/api/me", 2 * time.Second, false},
	{"control burst", true, "/healthz", 0, false},
	{"control sustained", false, "/healthz", 0, false},
	{"in-process burst", true, "/api/me", 0, true},
	{"in-process sustained", false, "/api/me", 0, true},
	{"in-process burst, JWKS answers in 2 s", true, "/api/me", 2 * time.Second, true},
	{"in-process control burst", true, "/healthz", 0, true},
	{"in-process control sustained", false, "/healthz", 0, true},
}

func run(sc scenario, o options) (*result, error) {
	env, err := fixture.NewEnv()
	if err != nil {
		return nil, err
	}
	defer env.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v, err := env.ValidatorWith(ctx, core.Config{DisableCache: !o.cache})
	if err != nil {
		return nil, err
	}
	defer v.Close()
	legitReq, floodReq, closeAll := transport(sc, o, fixture.ChiRoutes(v))
	defer closeAll()
	legitToken := env.Token
	// measure runs the legitimate clients, one request at a time each,
	// until stop is closed.
	measure := func(stop <-chan struct{}) (lat []time.Duration, errs int64) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for c := range o.legit {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					d, ok := legitReq(c, legitToken)
					mu.Lock()
					if ok {
						lat = append(lat, d)
					} else {
						errs++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		slices.Sort(lat)
		return lat, errs
	}
	for range 100 { // warm the connections and the cache
		for c := range o.legit {
			legitReq(c, legitToken)
		}
	}

	r := &result{scenario: sc.name, answers: map[int]int64{}}
	stop := make(chan struct{})
	time.AfterFunc(o.baseline, func() { close(stop) })
	r.alone, r.legitErrsBaseline = measure(stop)

	junk := junkTokens(env.Token)
	var mu sync.Mutex
	send := func() {
		t0 := time.Now()
		code, err := floodReq(junk())
		atomic.AddInt64(&r.floodReqs, 1)
		if err != nil {
			atomic.AddInt64(&r.transportErrs, 1)
			return
		}
		d := time.Since(t0)
		mu.Lock()
		r.answers[code]++
		r.flood = append(r.flood, d)
		mu.Unlock()
	}

	if sc.slowJWKS > 0 {
		env.Issuer.SetSlowDelay(sc.slowJWKS)
		env.Issuer.SetFault(authtest.FaultSlow)
	}
	fetches0 := env.Issuer.JWKSFetches()
	stop = make(chan struct{})
	type out struct {
		lat  []time.Duration
		errs int64
	}
	got := make(chan out, 1)
	go func() {
		lat, errs := measure(stop)
		got <- out{lat, errs}
	}()
	if sc.burst {
		for range o.bursts {
			var wg sync.WaitGroup
			for range o.concurrency {
				wg.Go(send)
			}
			wg.Wait()
		}
	} else {
		deadline := time.Now().Add(o.duration)
		var wg sync.WaitGroup
		for range o.concurrency {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					send()
				}
			})
		}
		wg.Wait()
	}
	close(stop)
	res := <-got
	r.during, r.legitErrsDuring = res.lat, res.errs
	r.fetches = env.Issuer.JWKSFetches() - fetches0
	slices.Sort(r.flood)
	return r, nil
}

// transport returns how the legitimate clients (by index) and the flood
// send their requests to h, and what to close afterwards.
func transport(sc scenario, o options, h http.Handler) (
	legit func(client int, token string) (time.Duration, bool),
	flood func(token string) (int, error),
	closeAll func(),
) {
	if sc.inproc {
		call := func(path, token string) int {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			return w.Code
		}
		legit = func(_ int, token string) (time.Duration, bool) {
			start := time.Now()
			code := call("/api/me", token)
			return time.Since(start), code == http.StatusOK
		}
		flood = func(token string) (int, error) { return call(sc.path, token), nil }
		return legit, flood, func() {}
	}
	srv := httptest.NewServer(h)
	// Each legitimate client has its own connection.
	clients := make([]*http.Client, o.legit)
	for i := range clients {
		clients[i] = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 30 * time.Second}
	}
	do := func(c *http.Client, path, token string) (int, error) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	legit = func(i int, token string) (time.Duration, bool) {
		start := time.Now()
		code, err := do(clients[i], "/api/me", token)
		return time.Since(start), err == nil && code == http.StatusOK
	}
	fc := &http.Client{Transport: &http.Transport{
		MaxIdleConns:        o.concurrency,
		MaxIdleConnsPerHost: o.concurrency,
	}, Timeout: 30 * time.Second}
	flood = func(token string) (int, error) { return do(fc, sc.path, token) }
	return legit, flood, func() {
		fc.CloseIdleConnections()
		for _, c := range clients {
			c.CloseIdleConnections()
		}
		srv.Close()
	}
}

// junkTokens returns a generator of tokens shaped like real ones whose
// header names a fresh random kid: what an attacker without a key sends to
// make a validator refetch keys. The signature is the real token's, so it
// is valid base64url but signs another header.
func junkTokens(valid string) func() string {
	parts := strings.SplitN(valid, ".", 3)
	rest := "." + parts[1] + "." + parts[2]
	return func() string {
		var kid [8]byte
		_, _ = rand.Read(kid[:])
		h := `{"alg":"RS256","typ":"JWT","kid":"` + hex.EncodeToString(kid[:]) + `"}`
		return base64.RawURLEncoding.EncodeToString([]byte(h)) + rest
	}
}
