// Command load measures the requests per second a chi service answers on
// GET /api/me with a valid token, against GET /healthz on the same server:
// what token validation costs a whole service, HTTP and all.
//
// Targets, each with the verified-token cache on and off:
//
//	starter     examples/chi-starter, built from this checkout and run in
//	            dev mode (its embedded issuer, its banner's token), with
//	            IDENTSPHERE_TOKEN_CACHE=off for the uncached run
//	in-process  the same routes mounted with chiauth in this process
//	            (fixture.ChiRoutes), over loopback HTTP
//
// The load generator is closed-loop: -connections clients, each sending one
// request at a time on its own keep-alive connection. It shares the machine
// with the server, so the figures are for the pair; the ratio of the two
// paths, measured in alternating windows, is what carries over to another
// machine.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/identsphere/identsphere-go/bench/internal/fixture"
)

type options struct {
	connections int
	rounds      int
	window      time.Duration
	only        string
}

func main() {
	var o options
	flag.IntVar(&o.connections, "connections", 16, "concurrent keep-alive connections")
	flag.IntVar(&o.rounds, "rounds", 6, "rounds; each runs one window per path, in alternating order")
	flag.DurationVar(&o.window, "window", time.Second, "length of one window")
	flag.StringVar(&o.only, "only", "", "run only the targets whose name contains this")
	flag.Parse()

	fmt.Printf(
		"load: %d connections, %d rounds of %v per path, GET /healthz and "+
			"GET /api/me alternating (ABBA); medians over the rounds\n\n",
		o.connections,
		o.rounds,
		o.window,
	)
	fmt.Println(
		"| target | cache | /healthz req/s | /api/me req/s | /api/me " +
			"÷ /healthz | /healthz p50 / p99 | /api/me p50 / p99 |",
	)
	fmt.Println("|---|---|---|---|---|---|---|")
	var notes []string
	for _, t := range targets() {
		if o.only != "" && !strings.Contains(t.name+" "+t.cache, o.only) {
			continue
		}
		base, token, stop, err := t.start()
		if err != nil {
			if errors.Is(err, errSkip) {
				notes = append(notes, fmt.Sprintf("%s, cache %s: %v", t.name, t.cache, err))
				continue
			}
			fmt.Fprintf(os.Stderr, "load: %s, cache %s: %v\n", t.name, t.cache, err)
			os.Exit(1)
		}
		r, err := measure(base, token, o)
		stop()
		if err != nil {
			fmt.Fprintf(os.Stderr, "load: %s, cache %s: %v\n", t.name, t.cache, err)
			os.Exit(1)
		}
		fmt.Printf("| %s | %s | %.0f | %.0f | %.2f | %s / %s | %s / %s |\n", t.name, t.cache,
			r.rps["/healthz"], r.rps["/api/me"], r.ratio,
			ms(r.p50["/healthz"]), ms(r.p99["/healthz"]), ms(r.p50["/api/me"]), ms(r.p99["/api/me"]))
	}
	for _, n := range notes {
		fmt.Println()
		fmt.Println(n)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

var errSkip = errors.New("skipped")

// target is a server to load: start returns its base URL, a valid token and
// how to stop it.
type target struct {
	name, cache string
	start       func() (base, token string, stop func(), err error)
}

func targets() []target {
	var ts []target
	for _, cached := range []bool{true, false} {
		cache := map[bool]string{true: "on", false: "off"}[cached]
		ts = append(
			ts,
			target{
				"examples/chi-starter",
				cache,
				func() (string, string, func(), error) { return startStarter(cached) },
			},
		)
	}
	for _, cached := range []bool{true, false} {
		cache := map[bool]string{true: "on", false: "off"}[cached]
		ts = append(
			ts,
			target{
				"in-process chiauth",
				cache,
				func() (string, string, func(), error) { return startInProcess(cached) },
			},
		)
	}
	return ts
}

func startInProcess(cached bool) (string, string, func(), error) {
	env, err := fixture.NewEnv()
	if err != nil {
		return "", "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	v, err := env.Validator(ctx, cached)
	if err != nil {
		cancel()
		env.Close()
		return "", "", nil, err
	}
	srv := httptest.NewServer(fixture.ChiRoutes(v))
	return srv.URL, env.Token, func() {
		srv.Close()
		_ = v.Close()
		cancel()
		env.Close()
	}, nil
}

// cacheEnv is the variable that turns the starter's token cache off.
const cacheEnv = "IDENTSPHERE_TOKEN_CACHE"

// startStarter builds examples/chi-starter from this checkout and runs it in
// dev mode on a free loopback port.
func startStarter(cached bool) (string, string, func(), error) {
	keys, err := fixture.KeysDir()
	if err != nil {
		return "", "", nil, err
	}
	root := filepath.Dir(filepath.Dir(keys))
	src := filepath.Join(root, "examples", "chi-starter")
	if _, err := os.Stat(filepath.Join(src, "main.go")); err != nil {
		return "", "", nil, fmt.Errorf("%w: no examples/chi-starter in this checkout", errSkip)
	}
	if !cached && !sourceMentions(src, cacheEnv) {
		return "", "", nil, fmt.Errorf(
			"%w: this starter does not read %s yet, so its cache cannot be turned off",
			errSkip,
			cacheEnv,
		)
	}
	dir, err := os.MkdirTemp("", "bench-load-")
	if err != nil {
		return "", "", nil, err
	}
	bin := filepath.Join(dir, "chi-starter")
	build := exec.Command("go", "build", "-o", bin, "./examples/chi-starter")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", "", nil, fmt.Errorf("building the starter: %v\n%s", err, out)
	}

	cmd := exec.Command(bin)
	env := []string{"ADDR=127.0.0.1:0"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IDENTSPHERE_") && !strings.HasPrefix(kv, "ADDR=") {
			env = append(env, kv)
		}
	}
	if !cached {
		env = append(env, cacheEnv+"=off")
	}
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return "", "", nil, err
	}
	cmd.Stderr = io.Discard // its JSON logs
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return "", "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		os.RemoveAll(dir)
	}

	// The dev-mode banner names the app's URL and a ready token.
	type banner struct{ app, token string }
	found := make(chan banner, 1)
	go func() {
		var b banner
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 64<<10)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) >= 2 && f[0] == "app:" {
				b.app = f[1]
			}
			if len(f) >= 2 && f[0] == "token:" {
				b.token = f[1]
			}
			if b.app != "" && b.token != "" {
				found <- b
				b = banner{}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case b := <-found:
		return b.app, b.token, stop, nil
	case <-time.After(60 * time.Second):
		stop()
		return "", "", nil, errors.New("the starter printed no dev-mode banner within 60s")
	}
}

// sourceMentions reports whether a Go file of dir contains s.
func sourceMentions(dir, s string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err == nil && strings.Contains(string(b), s) {
			return true
		}
	}
	return false
}

type result struct {
	rps      map[string]float64
	p50, p99 map[string]time.Duration
	ratio    float64
}

// measure alternates windows of /healthz and /api/me and returns medians.
func measure(base, token string, o options) (*result, error) {
	paths := []string{"/healthz", "/api/me"}
	clients := make([]*http.Client, o.connections)
	for i := range clients {
		clients[i] = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
		defer clients[i].CloseIdleConnections()
	}
	get := func(c *http.Client, path string) (time.Duration, error) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return time.Since(start), nil
	}
	// Warm up every connection on both paths.
	for _, c := range clients {
		for _, p := range paths {
			if _, err := get(c, p); err != nil {
				return nil, err
			}
		}
	}
	rps := map[string][]float64{}
	lat := map[string][]time.Duration{}
	var ratios []float64
	for k := range o.rounds {
		var round [2]float64
		order := []int{0, 1}
		if k%2 == 1 { // ABBA: a drift in the machine's speed favours neither path
			order = []int{1, 0}
		}
		for _, i := range order {
			p := paths[i]
			var n atomic.Int64
			var failed atomic.Pointer[error]
			var mu sync.Mutex
			var wg sync.WaitGroup
			start := time.Now()
			deadline := start.Add(o.window)
			for _, c := range clients {
				wg.Go(func() {
					var mine []time.Duration
					for time.Now().Before(deadline) {
						d, err := get(c, p)
						if err != nil {
							failed.Store(&err)
							return
						}
						n.Add(1)
						mine = append(mine, d)
					}
					mu.Lock()
					lat[p] = append(lat[p], mine...)
					mu.Unlock()
				})
			}
			wg.Wait()
			if e := failed.Load(); e != nil {
				return nil, *e
			}
			round[i] = float64(n.Load()) / time.Since(start).Seconds()
			rps[p] = append(rps[p], round[i])
		}
		ratios = append(ratios, round[1]/round[0])
	}
	r := &result{
		rps:   map[string]float64{},
		p50:   map[string]time.Duration{},
		p99:   map[string]time.Duration{},
		ratio: median(ratios),
	}
	for _, p := range paths {
		r.rps[p] = median(rps[p])
		l := lat[p]
		slices.Sort(l)
		r.p50[p], r.p99[p] = l[len(l)/2], l[min(len(l)-1, len(l)*99/100)]
	}
	return r, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
