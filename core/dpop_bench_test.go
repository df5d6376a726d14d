package core_test

import (
	"cmp"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/jose"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// proofBatch hands out fresh DPoP proofs for GET /api/me with tok, signed
// by key in batches made outside the timed loop, so that every request
// carries a proof never seen before.
type proofBatch struct {
	b      *testing.B
	key    *proofKey
	tok    string
	size   int // proofs made at a time; default 4096
	proofs []string
	next   int
}

func (p *proofBatch) proof() string {
	if p.next == len(p.proofs) {
		p.b.StopTimer()
		if p.proofs == nil {
			p.proofs = make([]string, cmp.Or(p.size, 4096))
		}
		for i := range p.proofs {
			p.proofs[i] = p.key.proof(p.b, "GET", dpopBase+"/api/me", p.tok, nil, nil)
		}
		p.next = 0
		p.b.StartTimer()
	}
	p.next++
	return p.proofs[p.next-1]
}

// dpopRequest is a DPoP request to an Authenticator that takes DPoP, with
// a DPoP-bound token (from the cache after the first request).
type dpopRequest struct {
	a      *core.Authenticator
	req    *http.Request
	w      *httptest.ResponseRecorder
	dpop   []string
	proofs *proofBatch
	key    *proofKey
}

func newDPoPRequest(b *testing.B) *dpopRequest {
	return newDPoPRequestBy(b, newProofKey(b), core.DPoPConfig{Mode: core.DPoPAllowed, PublicURL: dpopBase})
}

// newDPoPRequestBy is newDPoPRequest with a token bound to key, to an
// Authenticator with cfg.
func newDPoPRequestBy(b *testing.B, key *proofKey, cfg core.DPoPConfig) *dpopRequest {
	iss, v, _ := benchEnv(b)
	tok := iss.MustMint(map[string]any{"cnf": map[string]string{"jkt": key.thumbprint()}})
	d := &dpopRequest{
		a:      core.NewAuthenticator(v, withDPoP(b, cfg)),
		req:    httptest.NewRequest(http.MethodGet, "/api/me", nil),
		w:      httptest.NewRecorder(),
		dpop:   []string{""},
		proofs: &proofBatch{b: b, key: key, tok: tok},
		key:    key,
	}
	d.req.Header.Set("Authorization", "DPoP "+tok)
	d.req.Header["Dpop"] = d.dpop
	return d
}

// send makes the request with proof.
func (d *dpopRequest) send(b *testing.B, proof string) {
	d.dpop[0] = proof
	if _, ok := d.a.Admit(d.w, d.req); !ok {
		b.Fatalf("refused: %d %s", d.w.Code, d.w.Body)
	}
}

// floorCheck is BenchmarkFloor's operation, for benchmarks that time it
// beside their own.
func floorCheck(b *testing.B) func() {
	key := &testkeys.RSA().PublicKey
	sum := sha256.Sum256([]byte("payload"))
	sig, _ := rsa.SignPKCS1v15(nil, testkeys.RSA(), crypto.SHA256, sum[:])
	return func() {
		if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDPoP is one request with a DPoP-bound token from the verified-
// token cache and a fresh ES256 proof; BenchmarkES256Verify is the proof's
// own signature check, over proofs made the same way. Target: DPoP ≤
// ES256Verify + 0.1× BenchmarkFloor.
func BenchmarkDPoP(b *testing.B) {
	d := newDPoPRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		d.send(b, d.proofs.proof())
	}
}

func BenchmarkES256Verify(b *testing.B) {
	iss, _, _ := benchEnv(b)
	key := newProofKey(b)
	tok := iss.MustMint(map[string]any{"cnf": map[string]string{"jkt": key.thumbprint()}})
	proofs := &proofBatch{b: b, key: key, tok: tok}
	check := signatureCheck(b, key)
	b.ReportAllocs()
	for b.Loop() {
		check(proofs.proof())
	}
}

// signatureCheck checks a proof's ES256 signature by key, as the proof's
// own check does (internal/jose).
func signatureCheck(b *testing.B, key *proofKey) func(proof string) {
	pub := key.signer.Public()
	es256, _ := jose.LookupAlgorithm("ES256")
	return func(proof string) {
		cut := strings.LastIndexByte(proof, '.')
		sig, err := b64u.DecodeString(proof[cut+1:])
		if err != nil {
			b.Fatal(err)
		}
		if err := es256.Verify(proof[:cut], sig, pub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDPoPOverhead measures the target of BenchmarkDPoP directly, on
// a shared machine: every iteration times one floor verification, one DPoP
// request and the signature check of another fresh proof, back to back,
// so that load on the machine weighs on all three alike. It reports what
// a DPoP request costs beyond its proof's signature check, as a multiple
// of the floor (target ≤ 0.1).
func BenchmarkDPoPOverhead(b *testing.B) {
	d := newDPoPRequest(b)
	checkFloor := floorCheck(b)
	checkSignature := signatureCheck(b, d.key)
	var request, check, floor time.Duration
	for i := 0; b.Loop(); i++ {
		proof, other := d.proofs.proof(), d.proofs.proof()
		t0 := time.Now()
		checkFloor()
		// The request and the check take turns going first: the second
		// finds the curve's tables in the CPU's caches.
		t1 := time.Now()
		if i%2 == 0 {
			d.send(b, proof)
		} else {
			checkSignature(other)
		}
		t2 := time.Now()
		if i%2 == 0 {
			checkSignature(other)
		} else {
			d.send(b, proof)
		}
		t3 := time.Now()
		floor += t1.Sub(t0)
		if i%2 == 0 {
			request, check = request+t2.Sub(t1), check+t3.Sub(t2)
		} else {
			check, request = check+t2.Sub(t1), request+t3.Sub(t2)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(request)/n, "request-ns/op")
	b.ReportMetric(float64(check)/n, "proof-check-ns/op")
	b.ReportMetric(float64(floor)/n, "floor-ns/op")
	b.ReportMetric(float64(request-check)/float64(floor), "overhead×floor")
}
