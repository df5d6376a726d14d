package testkeys

// Conventional key IDs. Tests publish each key under the same kid so that a
// "kid" seen in a failure message identifies the key without further context.
const (
	// KIDRSA is the kid conventionally published for RSA.
	KIDRSA = "rsa-1"
	// KIDRSA2 is the kid conventionally published for RSA2, the key a
	// rotation moves to.
	KIDRSA2 = "rsa-2"
	// KIDEC is the kid conventionally published for EC (P-256).
	KIDEC = "ec-1"
	// KIDEC384 is the kid conventionally published for EC384 (P-384).
	KIDEC384 = "ec384-1"
	// KIDEC521 is the kid conventionally published for EC521 (P-521).
	KIDEC521 = "ec521-1"
	// KIDEd25519 is the kid conventionally published for Ed25519.
	KIDEd25519 = "ed-1"
)
