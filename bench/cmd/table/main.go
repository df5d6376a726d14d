// Command table reads the output of this module's benchmarks (go test
// -bench, any number of rounds, concatenated) on standard input and prints
// a Markdown table of the medians over the rounds, with the targets
// checked.
//
// Lines starting with "# " are notes written by run.sh (date, load,
// versions) and are printed above the table.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// row is one benchmark over all rounds: every metric's values.
type row struct {
	name    string
	metrics map[string][]float64
}

func (r *row) median(unit string) (float64, bool) {
	v := r.metrics[unit]
	if len(v) == 0 {
		return 0, false
	}
	return median(v), true
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// parse reads benchmark lines and notes.
func parse(r io.Reader) (rows []*row, notes []string, err error) {
	byName := map[string]*row{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# "):
			notes = append(notes, strings.TrimPrefix(line, "# "))
			continue
		case strings.HasPrefix(line, "cpu: "):
			notes = append(notes, line)
			continue
		case !strings.HasPrefix(line, "Benchmark"):
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || len(f)%2 != 0 {
			continue // a benchmark that printed something between its name and figures
		}
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		rw := byName[name]
		if rw == nil {
			rw = &row{name: name, metrics: map[string][]float64{}}
			byName[name] = rw
			rows = append(rows, rw)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			rw.metrics[f[i+1]] = append(rw.metrics[f[i+1]], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	return rows, dedupe(notes), nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// A target from the issue.
type target struct {
	maxCost   float64 // auth cost, as a multiple of the floor
	maxAllocs float64 // allocations above the router's own
}

func (t target) String() string {
	return fmt.Sprintf("≤ %s×, ≤ %.0f allocs", strconv.FormatFloat(t.maxCost, 'f', -1, 64), t.maxAllocs)
}

// targetFor returns the issues' target for a benchmark, if it has one: a
// cache hit with the token in the cookie has its own, tighter one.
func targetFor(name string) (target, bool) {
	switch {
	// Issue 12: a cache hit observed through OpenTelemetry, with no
	// provider installed (as without otelauth), or with the SDK and the
	// Prometheus exporter.
	case strings.HasPrefix(name, "Observed/") && strings.Contains(name, "-sdk-"):
		return target{0.06, 1}, true
	case strings.HasPrefix(name, "Observed/"):
		return target{0.05, 1}, true
	case strings.HasPrefix(name, "Identsphere/") && strings.HasSuffix(name, "/uncached") &&
		!strings.Contains(name, "cookie"):
		return target{1.40, 75}, true
	// Issue 22: grpcauth's unary interceptor above grpc-go's own cost, with
	// the HTTP rows' allocation bound.
	case name == "GRPC/grpcauth/uncached":
		return target{1.20, 75}, true
	case strings.Contains(name, "-cookie/") && strings.HasSuffix(name, "/cached"):
		return target{0.035, 1}, true
	case strings.HasSuffix(name, "/cached"):
		return target{0.05, 3}, true
	}
	return target{}, false
}

// labels are the table's names for the benchmarks.
var labels = map[string]string{
	"Floor/RS256":                              "floor: `rsa.VerifyPKCS1v15`, 2048-bit (RS256)",
	"Floor/ES256":                              "`ecdsa.VerifyASN1`, P-256 (ES256)",
	"Floor/EdDSA":                              "`ed25519.Verify` (EdDSA)",
	"Reference/golang-jwt-parse":               "golang-jwt `ParseWithClaims`, static key, typed claims",
	"Reference/sha256-map":                     "SHA-256 of the token + map lookup",
	"Identsphere/stdauth/uncached":             "**stdauth**, cache off, header",
	"Identsphere/chiauth/uncached":             "**chiauth**, cache off, header",
	"Identsphere/ginauth/uncached":             "**ginauth**, cache off, header",
	"Identsphere/stdauth-cookie/uncached":      "stdauth, cache off, cookie",
	"Identsphere/stdauth/cached":               "**stdauth**, cache hit, header",
	"Identsphere/chiauth/cached":               "**chiauth**, cache hit, header",
	"Identsphere/ginauth/cached":               "**ginauth**, cache hit, header",
	"Identsphere/stdauth-cookie/cached":        "**stdauth**, cache hit, cookie",
	"Identsphere/chiauth-cookie/cached":        "**chiauth**, cache hit, cookie",
	"Identsphere/ginauth-cookie/cached":        "**ginauth**, cache hit, cookie",
	"Observed/stdauth-no-observer/cached":      "**stdauth**, cache hit, no Observer",
	"Observed/stdauth-otel-no-provider/cached": "**stdauth**, cache hit, otelauth, no provider installed",
	"Observed/stdauth-otel-noop/cached":        "**stdauth**, cache hit, otelauth over the noop providers",
	"Observed/stdauth-otel-sdk-prometheus/cached": "**stdauth**, cache hit, otelauth over " +
		"the OTel SDK + Prometheus exporter",
	"Parallel/stdauth/cached":         "**stdauth**, cache hit, header, `RunParallel`",
	"Parallel/chiauth/cached":         "**chiauth**, cache hit, header, `RunParallel`",
	"Parallel/ginauth/cached":         "**ginauth**, cache hit, header, `RunParallel`",
	"Peers/seed-keyfunc-cookie":       "seed pattern (golang-jwt + keyfunc, cookie)",
	"Peers/auth0-go-jwt-middleware":   "auth0/go-jwt-middleware v2",
	"Peers/go-chi-jwtauth-static-key": "go-chi/jwtauth v5 (static key, no JWKS)",
	"GRPC/grpcauth/uncached":          "**grpcauth**, cache off, unary",
	"GRPC/grpcauth/cached":            "**grpcauth**, cache hit, unary",
	"GRPC/auth0-go-jwt-middleware-v3-grpc": "auth0/go-jwt-middleware v3 `integrations/grpc` " +
		"(its JWKS caching provider; no token cache)",
	"GRPC/go-grpc-middleware-auth-keyfunc": "go-grpc-middleware `auth` + golang-jwt + keyfunc (hand-written)",
}

func label(name string) string {
	if l, ok := labels[name]; ok {
		return l
	}
	return name
}

func main() {
	showNotes := flag.Bool("notes", true, "print the notes above the table")
	flag.Parse()
	rows, notes, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "table:", err)
		os.Exit(1)
	}
	if len(rows) == 0 {
		fmt.Fprintln(os.Stderr, "table: no benchmark lines on standard input")
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	if *showNotes {
		for _, n := range notes {
			fmt.Fprintln(w, "    "+n)
		}
		fmt.Fprintln(w)
	}
	write(w, rows)
}

func write(w io.Writer, rows []*row) {
	rounds := 0
	for _, r := range rows {
		rounds = max(rounds, len(r.metrics["auth-cpu-x-floor"]))
	}
	fmt.Fprintf(
		w,
		"Medians of %d rounds. Costs are multiples of the floor measured in the same benchmark; \"auth cost\" "+
			"subtracts the same router with no middleware.\n\n",
		rounds,
	)
	fmt.Fprintln(
		w,
		"| what | auth cost × floor, CPU [min–max] | auth cost × floor, wall | allocs/request above router | "+
			"allocs/op | ns/op | floor ns/op | target | holds |",
	)
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	var failures []string
	for _, r := range rows {
		cpu, _ := r.median("auth-cpu-x-floor")
		wall, _ := r.median("auth-x-floor")
		allocs, _ := r.median("auth-allocs/op")
		total, _ := r.median("allocs/op")
		ns, _ := r.median("ns/op")
		floor, _ := r.median("floor-ns/op")
		v := r.metrics["auth-cpu-x-floor"]
		spread := ""
		if len(v) > 1 {
			spread = fmt.Sprintf(" [%s–%s]", ratio(slices.Min(v)), ratio(slices.Max(v)))
		}
		tgt, holds := "", ""
		if t, ok := targetFor(r.name); ok {
			tgt = t.String()
			ok := cpu <= t.maxCost && wall <= t.maxCost && allocs <= t.maxAllocs+0.05
			holds = "yes"
			if !ok {
				holds = "**no**"
				failures = append(failures, r.name)
			}
		}
		fmt.Fprintf(w, "| %s | %s%s | %s | %.1f | %.0f | %.0f | %.0f | %s | %s |\n",
			label(r.name), ratio(cpu), spread, ratio(wall), allocs, total, ns, floor, tgt, holds)
	}
	fmt.Fprintln(w)
	if len(failures) > 0 {
		fmt.Fprintf(w, "Targets missed: %s\n", strings.Join(failures, ", "))
	} else {
		fmt.Fprintln(w, "Every target holds, by both clocks.")
	}
}

// ratio prints a multiple of the floor with two significant decimals below
// 0.1, so that cache hits are readable.
func ratio(v float64) string {
	if v != 0 && v < 0.1 && v > -0.1 {
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
