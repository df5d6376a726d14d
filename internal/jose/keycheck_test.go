package jose

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"math/big"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// The key checks refuse what they promise and nothing more: the genuine
// test keys pass; each degenerate key is refused with its own reason.
func TestKeyChecksRefuseDegenerateKeys(t *testing.T) {
	rsaPub := &testkeys.RSA().PublicKey
	p, q := testkeys.RSA().Primes[0], testkeys.RSA().Primes[1]
	times := func(f int64) *big.Int { return new(big.Int).Mul(big.NewInt(f), new(big.Int).Mul(p, q)) }
	ec := testkeys.EC().PublicKey
	for name, key := range map[string]any{
		"RSA-2048":                           rsaPub,
		"P-256":                              &ec,
		"P-384":                              &testkeys.EC384().PublicKey,
		"Ed25519":                            testkeys.Ed25519().Public(),
		"RSA, factor 4099 (above the bound)": &rsa.PublicKey{N: times(4099), E: 65537},
	} {
		if r := new(KeyChecks).Check(key); r != "" {
			t.Errorf("%s refused: %s", name, r)
		}
	}
	for name, c := range map[string]struct {
		key  any
		want string
	}{
		"RSA even modulus":  {&rsa.PublicKey{N: times(2), E: 65537}, "even"},
		"RSA factor 3":      {&rsa.PublicKey{N: times(3), E: 65537}, "small prime factor"},
		"RSA factor 4093":   {&rsa.PublicKey{N: times(4093), E: 65537}, "small prime factor"},
		"RSA exponent 1":    {&rsa.PublicKey{N: rsaPub.N, E: 1}, "1 or less"},
		"RSA exponent 0":    {&rsa.PublicKey{N: rsaPub.N, E: 0}, "1 or less"},
		"RSA exponent even": {&rsa.PublicKey{N: rsaPub.N, E: 65536}, "even"},
		"RSA 1024 bits":     {&testkeys.RSA1024().PublicKey, "under 2048"},
		"RSA over the cap":  {&rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), maxRSABits+1), E: 65537}, "over"},
		"RSA no modulus":    {&rsa.PublicKey{E: 65537}, "no modulus"},
		"EC off the curve": {&ecdsa.PublicKey{
			Curve: elliptic.P256(),
			X:     ec.X,
			Y:     new(big.Int).Add(ec.Y, big.NewInt(1)),
		}, "not a valid point"},
		"EC (0, 0)": {&ecdsa.PublicKey{
			Curve: elliptic.P256(),
			X:     new(big.Int),
			Y:     new(big.Int),
		}, "not a valid point"},
		"EC x beyond p": {&ecdsa.PublicKey{
			Curve: elliptic.P256(),
			X:     new(big.Int).Add(ec.X, elliptic.P256().Params().P),
			Y:     ec.Y,
		}, "not a valid point"},
		"EC incomplete": {&ecdsa.PublicKey{Curve: elliptic.P256(), X: ec.X}, "incomplete"},
		"Ed25519 short": {ed25519.PublicKey(make([]byte, 31)), "wrong size"},
		"Ed25519 y = p+2": {ed25519.PublicKey(append(
			[]byte{0xef},
			append(bytes.Repeat([]byte{0xff}, 30), 0x7f)...,
		)), "not canonically"},
		"Ed25519 identity": {ed25519.PublicKey(append([]byte{1}, make([]byte, 31)...)), "small-order"},
		"Ed25519 y = p+1 signed": {
			ed25519.PublicKey(append([]byte{0xee}, append(bytes.Repeat([]byte{0xff}, 30), 0xff)...)),
			"small-order",
		},
	} {
		if r := new(KeyChecks).Check(c.key); !strings.Contains(r, c.want) {
			t.Errorf("%s: reason %q, want one saying %q", name, r, c.want)
		}
	}
}
