// Package authcases holds the table of requests every adapter must answer
// alike, and the fixture they run against: a fake issuer on loopback with
// the fixed test keys, and a Validator that trusts it. core's tests run the
// table through core.Authenticator; the conformance tests run it through
// stdauth, chiauth and ginauth and compare their answers byte for byte.
// LeakAudit checks what a run of it logs, through any adapter or transport.
package authcases

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
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
// Ed25519 and a 1024-bit RSA key (and, for the catalogue, unusable keys
// next to them); Validator trusts Issuer for Audience.
// Trap is a loopback server that hostile tokens name in jku and x5u: its
// hit count proves nothing named in a token is ever fetched.
type Env struct {
	Issuer    *authtest.Issuer
	Validator *core.Validator
	Trap      *Trap
}

// HMACKID and HMACSecret describe the symmetric key NewCatalogueEnv
// publishes in the JWKS, which no token may ever be verified with.
const HMACKID = "hmac-1"

// HMACSecret is the secret of that key, as an attacker would read it from
// the JWKS.
func HMACSecret() []byte { return []byte("0123456789abcdef0123456789abcdef") }

// NewEnv starts the fixture and waits until the Validator has its keys.
// Everything stops when the test ends. configure may adjust the Config.
func NewEnv(t testing.TB, configure ...func(*core.Config)) *Env {
	t.Helper()
	return newEnv(t, false, configure...)
}

// NewCatalogueEnv is NewEnv whose JWKS also carries the keys no token may
// ever be verified with, as the attack catalogue needs: a symmetric (oct)
// key and the UnusableKeys (small-order Ed25519 points, an
// off-curve EC point, keys whose use or key_ops exclude verifying, weak RSA
// keys, bad x5c...). The Validator must load the good keys beside them.
// Its key set is frozen: AddKey and RemoveKey on its Issuer no longer
// change what the JWKS serves.
func NewCatalogueEnv(t testing.TB) *Env {
	t.Helper()
	return newEnv(t, true)
}

// IssuerOptions are the fixture issuer's keys (both RSA-2048 keys, EC
// P-256 and P-384, Ed25519, and the 1024-bit RSA key the Validator must
// refuse) and its audience, for tests that start their own issuer.
func IssuerOptions() []authtest.Option {
	return []authtest.Option{
		authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithKey(testkeys.KIDRSA2, testkeys.RSA2()),
		authtest.WithKey(testkeys.KIDEC, testkeys.EC()),
		authtest.WithKey(testkeys.KIDEC384, testkeys.EC384()),
		authtest.WithKey(testkeys.KIDEd25519, testkeys.Ed25519()),
		authtest.WithKey(KIDRSA1024, testkeys.RSA1024()),
		authtest.WithAudience(Audience),
	}
}

func newEnv(t testing.TB, catalogue bool, configure ...func(*core.Config)) *Env {
	t.Helper()
	iss := authtest.NewIssuer(IssuerOptions()...)
	t.Cleanup(iss.Close)
	if catalogue {
		hmac := `{"kty":"oct","kid":"` + HMACKID + `","alg":"HS256","k":"` + base64.RawURLEncoding.EncodeToString(
			HMACSecret(),
		) + `"}`
		publishKeys(t, iss, append([]string{hmac}, unusableJWKs()...)...)
	}
	cfg := core.Config{
		Issuer:   iss.URL(),
		Audience: []string{Audience},
		Logger:   Discard(),
	}
	for _, f := range configure {
		f(&cfg)
	}
	return &Env{Issuer: iss, Validator: NewValidator(t, cfg), Trap: NewTrap(t)}
}

// publishKeys makes the issuer serve its current JWKS plus raw JWKs.
func publishKeys(t testing.TB, iss *authtest.Issuer, jwks ...string) {
	t.Helper()
	resp, err := http.Get(iss.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	for _, jwk := range jwks {
		set.Keys = append(set.Keys, json.RawMessage(jwk))
	}
	body, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	iss.SetJWKS(body)
}

// Trap is a loopback server that counts every request it receives.
type Trap struct {
	URL  string
	hits atomic.Int64
}

// NewTrap starts a Trap for the test.
func NewTrap(t testing.TB) *Trap {
	tr := &Trap{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}))
	t.Cleanup(srv.Close)
	tr.URL = srv.URL
	return tr
}

// Hits returns how many requests reached the trap.
func (tr *Trap) Hits() int64 { return tr.hits.Load() }

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
