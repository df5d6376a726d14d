package core_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/core"
)

// BenchmarkDPoP is one request with a DPoP-bound token from the verified-
// token cache and a fresh ES256 proof; BenchmarkES256Verify is the proof's
// own signature check. Target: DPoP ≤ ES256Verify + 0.1× BenchmarkFloor.
func BenchmarkDPoP(b *testing.B) {
	iss, v, _ := benchEnv(b)
	key := newProofKey(b)
	a := core.NewAuthenticator(v, core.WithDPoP(core.DPoPConfig{Mode: core.DPoPAllowed, PublicURL: dpopBase}))
	tok := iss.MustMint(map[string]any{"cnf": map[string]string{"jkt": key.thumbprint()}})
	proofs := func() []string { // fresh proofs, made outside the timed loop
		p := make([]string, 4096)
		for i := range p {
			p[i] = key.proof(b, "GET", dpopBase+"/api/me", tok, nil, nil)
		}
		return p
	}
	batch := proofs()
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req.Header.Set("Authorization", "DPoP "+tok)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%len(batch) == 0 && i > 0 {
			b.StopTimer()
			batch = proofs()
			b.StartTimer()
		}
		req.Header["Dpop"] = []string{batch[i%len(batch)]}
		if _, ok := a.Admit(w, req); !ok {
			b.Fatalf("refused: %d %s", w.Code, w.Body)
		}
	}
}

func BenchmarkES256Verify(b *testing.B) {
	key := newProofKey(b)
	proof := key.proof(b, "GET", dpopBase+"/api/me", "t", nil, nil)
	cut := strings.LastIndexByte(proof, '.')
	sig, _ := b64u.DecodeString(proof[cut+1:])
	pub := key.signer.Public()
	b.ReportAllocs()
	for b.Loop() {
		if err := jwt.SigningMethodES256.Verify(proof[:cut], sig, pub); err != nil {
			b.Fatal(err)
		}
	}
}
