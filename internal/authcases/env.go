// Package authcases holds the table of requests every adapter must answer
// alike, and the fixture they run against: a fake issuer on loopback with
// the fixed test keys, and a Validator that trusts it. core's tests run the
// table through core.Authenticator; the conformance tests run it through
// stdauth, chiauth and ginauth and compare their answers byte for byte.
package authcases

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// Audience is the audience the fixture's Validator accepts.
const Audience = "orders-api"

// KIDRSA1024 publishes the 1024-bit key, which the Validator must refuse.
const KIDRSA1024 = "rsa-1024"

// Env is the fixture: Issuer publishes RSA (two keys), EC P-256, EC P-384,
// Ed25519 and a 1024-bit RSA key; Validator trusts Issuer for Audience.
type Env struct {
	Issuer    *authtest.Issuer
	Validator *core.Validator
}

// NewEnv starts the fixture and waits until the Validator has its keys.
// Everything stops when the test ends. configure may adjust the Config.
func NewEnv(t testing.TB, configure ...func(*core.Config)) *Env {
	t.Helper()
	iss := authtest.NewIssuer(
		authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithKey(testkeys.KIDRSA2, testkeys.RSA2()),
		authtest.WithKey(testkeys.KIDEC, testkeys.EC()),
		authtest.WithKey(testkeys.KIDEC384, testkeys.EC384()),
		authtest.WithKey(testkeys.KIDEd25519, testkeys.Ed25519()),
		authtest.WithKey(KIDRSA1024, testkeys.RSA1024()),
		authtest.WithAudience(Audience),
	)
	t.Cleanup(iss.Close)
	cfg := core.Config{
		Issuer:   iss.URL(),
		Audience: []string{Audience},
		Logger:   Discard(),
	}
	for _, f := range configure {
		f(&cfg)
	}
	return &Env{Issuer: iss, Validator: NewValidator(t, cfg)}
}

// NewValidator builds a Validator, waits for its keys, and closes it when
// the test ends.
func NewValidator(t testing.TB, cfg core.Config) *core.Validator {
	t.Helper()
	v, err := core.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("core.New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	return v
}

// Discard is a logger that drops everything, for quiet tests.
func Discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
