package jose

import (
	"strings"
	"testing"
)

// BenchmarkSplitAndReadHeader reads a typical token's header, and a
// hostile one at the size cap; the payload is never read.
func BenchmarkSplitAndReadHeader(b *testing.B) {
	payload, sig := "."+seg(strings.Repeat("x", 4<<10)), "."+seg(strings.Repeat("s", 256))
	prefix := `{"alg":"RS256"` + manyMembers(maxHeaderMembers-2) + `,"x":"`
	hostile := prefix + strings.Repeat(
		"a",
		len(HeaderBuffer{})-len(prefix)-4,
	) + `"}` // every member and byte the caps allow
	for name, header := range map[string]string{
		"typical":        `{"alg":"RS256","kid":"rsa-1","typ":"at+jwt"}`,
		"hostile at cap": hostile,
	} {
		token := seg(header) + payload + sig
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var buf HeaderBuffer
				_, raw, err := Split(token, 64<<10, &buf)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := ReadHeader(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadProof reads a proof's header (with its thumbprint) and
// claims, as a verifier does for a client it has not seen before.
func BenchmarkReadProof(b *testing.B) {
	header := seg(`{"typ":"dpop+jwt","alg":"RS256","jwk":` + rfc7638Key + `}`)
	claims := []byte(
		`{"jti":"e1j3V_bKic8-LAEB","htm":"GET","htu":"https://api.example/orders","iat":1700000000,` +
			`"ath":"fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"}`,
	)
	b.ReportAllocs()
	for b.Loop() {
		h, err := ReadProofHeader(header)
		if err != nil {
			b.Fatal(err)
		}
		_ = h.Key.Thumbprint()
		if _, err := readProofClaims(claims); err != nil {
			b.Fatal(err)
		}
	}
}
