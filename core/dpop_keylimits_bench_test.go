package core_test

import (
	"crypto/rsa"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// BenchmarkDPoPProofKeys measures what a client's choice of proof key
// costs the service per request, as a multiple of the floor (one RSA-2048
// signature check) timed back to back with the request in each iteration,
// so that load on the machine weighs on both alike:
//
//   - RSA-2048-PS256: the costliest proof accepted by default, a fresh
//     proof each time with the token from the cache (target ≤ 5× floor);
//   - RSA-4096-PS512 and RSA-4096-RS512: the costliest with
//     MaxProofRSABits 4096, which Go's crypto/rsa checks at about ten
//     times the floor: why the default is 2048;
//   - refused-RSA-16384-e2^31-1: the review's key with a junk signature,
//     refused by the key limits before any signature work (target ≤ 0.1×
//     floor; unlimited, it cost 120–850×), as cheap as refused-malformed,
//     a proof that is not even a JWS.
//
// Signing RSA proofs takes milliseconds each, outside the timed work but
// not outside the run: run it with -benchtime 300x.
func BenchmarkDPoPProofKeys(b *testing.B) {
	algs := []string{"RS256", "PS256", "RS512", "PS512"}
	for _, c := range []struct {
		name    string
		key     *rsa.PrivateKey
		alg     string
		maxBits int
	}{
		{"RSA-2048-PS256", testkeys.RSA(), "PS256", 0},
		{"RSA-4096-PS512", testkeys.RSA4096(), "PS512", 4096},
		{"RSA-4096-RS512", testkeys.RSA4096(), "RS512", 4096},
	} {
		b.Run(c.name, func(b *testing.B) {
			cfg := core.DPoPConfig{
				Mode:            core.DPoPAllowed,
				PublicURL:       dpopBase,
				Algorithms:      algs,
				MaxProofRSABits: c.maxBits,
			}
			d := newDPoPRequestBy(b, rsaProofKey(c.key, c.alg), cfg)
			d.proofs.size = 64
			timesFloor(b, d.proofs.proof, func(proof string) { d.send(b, proof) })
		})
	}
	cfg := core.DPoPConfig{Mode: core.DPoPAllowed, PublicURL: dpopBase, Algorithms: algs, MaxProofRSABits: 4096}
	b.Run("refused-RSA-16384-e2^31-1", func(b *testing.B) {
		key := forgedProofKey(
			oversizedRSAJWK(b64u.EncodeToString(big.NewInt(1<<31-1).Bytes())),
			testkeys.RSA2(),
			"RS256",
		)
		d := newDPoPRequestBy(b, key, cfg)
		proof := withJunkSignature(key.proof(b, "GET", dpopBase+"/api/me", d.proofs.tok, nil, nil), 2048)
		d.dpop[0] = proof
		first := httptest.NewRecorder()
		if _, ok := d.a.Admit(first, d.req); ok ||
			!strings.Contains(first.Body.String(), "header is over 1536 characters") {
			b.Fatalf("not refused by the key limits: %d %s", first.Code, first.Body)
		}
		timesFloor(b, func() string { return proof }, d.refuse(b))
	})
	// The same request with a proof that is not even a JWS: what any
	// refusal costs, for comparison.
	b.Run("refused-malformed", func(b *testing.B) {
		d := newDPoPRequestBy(b, newProofKey(b), cfg)
		timesFloor(b, func() string { return "x.y.z" }, d.refuse(b))
	})
}

// refuse returns a function making the request with a proof it must
// refuse.
func (d *dpopRequest) refuse(b *testing.B) func(proof string) {
	w := discardWriter{http.Header{}}
	return func(proof string) {
		d.dpop[0] = proof
		if _, ok := d.a.Admit(w, d.req); ok {
			b.Fatal("admitted")
		}
	}
}

// timesFloor runs op on what next gives, each time beside one floor check,
// and reports the medians of op's cost and of the floor's, and their
// ratio: on a shared machine a preempted iteration weighs on a mean, not
// on a median. next runs untimed: it may stop the benchmark's timer to
// make proofs.
func timesFloor(b *testing.B, next func() string, op func(string)) {
	checkFloor := floorCheck(b)
	var spent, floor []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		in := next()
		t0 := time.Now()
		checkFloor()
		t1 := time.Now()
		op(in)
		t2 := time.Now()
		floor, spent = append(floor, t1.Sub(t0)), append(spent, t2.Sub(t1))
	}
	median := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2])
	}
	m, f := median(spent), median(floor)
	b.ReportMetric(m, "request-ns(median)")
	b.ReportMetric(f, "floor-ns(median)")
	b.ReportMetric(m/f, "×floor")
}

// discardWriter is a ResponseWriter that keeps nothing but its headers, so
// that a benchmark refusing requests in a loop does not grow a recorder.
type discardWriter struct{ h http.Header }

func (w discardWriter) Header() http.Header         { return w.h }
func (w discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w discardWriter) WriteHeader(int)             {}
