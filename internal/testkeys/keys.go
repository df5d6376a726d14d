package testkeys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	_ "embed"
	"sync"
)

// The PEM files are embedded as strings so that they cannot be modified.
var (
	//go:embed rsa-2048.pem
	rsaPEM string
	//go:embed rsa-2048-b.pem
	rsa2PEM string
	//go:embed attacker-rsa-2048.pem
	attackerRSAPEM string
	//go:embed rsa-1024.pem
	rsa1024PEM string
	//go:embed rsa-4096.pem
	rsa4096PEM string
	//go:embed rsa-4160.pem
	rsa4160PEM string
	//go:embed rsa-2048-e3.pem
	rsaE3PEM string
	//go:embed ec-p256.pem
	ecPEM string
	//go:embed ec-p384.pem
	ec384PEM string
	//go:embed ec-p521.pem
	ec521PEM string
	//go:embed ed25519.pem
	ed25519PEM string
)

// The parsed keys are immutable once built; each is parsed on first use only,
// so a test binary pays for the keys it touches and nothing else.
var (
	rsaKey         = sync.OnceValue(func() *rsa.PrivateKey { return parse[*rsa.PrivateKey]("rsa-2048.pem", rsaPEM) })
	rsa2Key        = sync.OnceValue(func() *rsa.PrivateKey { return parse[*rsa.PrivateKey]("rsa-2048-b.pem", rsa2PEM) })
	attackerRSAKey = sync.OnceValue(
		func() *rsa.PrivateKey { return parse[*rsa.PrivateKey]("attacker-rsa-2048.pem", attackerRSAPEM) },
	)
	rsa1024Key = sync.OnceValue(func() *rsa.PrivateKey { return parse[*rsa.PrivateKey]("rsa-1024.pem", rsa1024PEM) })
	rsa4096Key = sync.OnceValue(func() *rsa.PrivateKey { return parse[*rsa.PrivateKey]("rsa-4096.pem", rsa4096PEM) })
	rsa4160Key = sync.OnceValue(func() *rsa.PrivateKey { return parse[*rsa.PrivateKey]("rsa-4160.pem", rsa4160PEM) })
	rsaE3Key   = sync.OnceValue(func() *rsa.PrivateKey { return parse[*rsa.PrivateKey]("rsa-2048-e3.pem", rsaE3PEM) })
	ecKey      = sync.OnceValue(func() *ecdsa.PrivateKey { return parse[*ecdsa.PrivateKey]("ec-p256.pem", ecPEM) })
	ec384Key   = sync.OnceValue(func() *ecdsa.PrivateKey { return parse[*ecdsa.PrivateKey]("ec-p384.pem", ec384PEM) })
	ec521Key   = sync.OnceValue(func() *ecdsa.PrivateKey { return parse[*ecdsa.PrivateKey]("ec-p521.pem", ec521PEM) })
	ed25519Key = sync.OnceValue(
		func() ed25519.PrivateKey { return parse[ed25519.PrivateKey]("ed25519.pem", ed25519PEM) },
	)
)

// RSA returns the primary RSA-2048 key, the one most tests sign with.
func RSA() *rsa.PrivateKey { return rsaKey() }

// RSA2 returns a second RSA-2048 key, distinct from RSA, for key-rotation
// tests that need a legitimate successor key.
func RSA2() *rsa.PrivateKey { return rsa2Key() }

// AttackerRSA returns an RSA-2048 key that no test issuer publishes. Tokens
// signed with it model forgeries: well-formed, correctly signed, untrusted.
func AttackerRSA() *rsa.PrivateKey { return attackerRSAKey() }

// RSA1024 returns a 1024-bit RSA key for tests asserting that keys below
// 2048 bits are refused.
func RSA1024() *rsa.PrivateKey { return rsa1024Key() }

// RSA4096 returns a 4096-bit RSA key: the largest a DPoP proof may be
// signed with, for tests and benchmarks of the costliest accepted proof.
func RSA4096() *rsa.PrivateKey { return rsa4096Key() }

// RSA4160 returns a 4160-bit RSA key, valid but over the 4096 bits a DPoP
// proof key may have: made once, as generating one takes seconds.
func RSA4160() *rsa.PrivateKey { return rsa4160Key() }

// RSAExponent3 returns a 2048-bit RSA key with the public exponent 3: a
// valid key, but not one with the exponent 65537 a DPoP proof key must
// have. crypto/rsa never generates one.
func RSAExponent3() *rsa.PrivateKey { return rsaE3Key() }

// EC returns a P-256 ECDSA key (ES256).
func EC() *ecdsa.PrivateKey { return ecKey() }

// EC384 returns a P-384 ECDSA key (ES384), useful for alg/curve-mismatch
// tests against EC.
func EC384() *ecdsa.PrivateKey { return ec384Key() }

// EC521 returns a P-521 ECDSA key (ES512).
func EC521() *ecdsa.PrivateKey { return ec521Key() }

// Ed25519 returns an Ed25519 key (EdDSA).
func Ed25519() ed25519.PrivateKey { return ed25519Key() }
