package core_test

import (
	"context"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// logRecorder is a slog.Handler that keeps every record, so that tests can
// assert on what a Validator logs, and wakes waiters on each new record.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
	wake    chan struct{}
}

func newLogRecorder() *logRecorder { return &logRecorder{wake: make(chan struct{}, 1)} }

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.records = append(r.records, rec.Clone())
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return nil
}

// matching returns the records whose message contains msg and whose
// attributes include every key=value of attrs.
func (r *logRecorder) matching(msg string, attrs ...string) []slog.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []slog.Record
	for _, rec := range r.records {
		if strings.Contains(rec.Message, msg) && hasAttrs(rec, attrs) {
			out = append(out, rec)
		}
	}
	return out
}

func hasAttrs(rec slog.Record, kv []string) bool {
	for i := 0; i+1 < len(kv); i += 2 {
		found := false
		rec.Attrs(func(a slog.Attr) bool {
			found = a.Key == kv[i] && a.Value.String() == kv[i+1]
			return !found
		})
		if !found {
			return false
		}
	}
	return true
}

// waitFor waits, without polling, until a record matching msg arrives.
func (r *logRecorder) waitFor(t *testing.T, msg string) slog.Record {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		if recs := r.matching(msg); len(recs) > 0 {
			return recs[0]
		}
		select {
		case <-r.wake:
		case <-deadline.C:
			t.Fatalf("no log record %q", msg)
		}
	}
}

func attr(rec slog.Record, key string) string {
	var v string
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
			return false
		}
		return true
	})
	return v
}

// rsaPublicJWK is pub as a JWK under kid, with extra members spliced in.
func rsaPublicJWK(kid string, pub *rsa.PublicKey, extra string) string {
	return fmt.Sprintf(`{"kty":"RSA","kid":%q,"n":%q,"e":"AQAB"%s}`, kid, b64(pub.N.Bytes()), extra)
}

func jwksOf(keys ...string) []byte {
	return []byte(`{"keys":[` + strings.Join(keys, ",") + `]}`)
}

// keySetValidator serves body as the JWKS of a fresh issuer and returns a
// ready Validator that reads it, with every algorithm of the fixture
// allowed.
func keySetValidator(t *testing.T, body []byte, configure ...func(*core.Config)) (*core.Validator, *authtest.Issuer) {
	t.Helper()
	iss := newIssuer(t)
	iss.SetJWKS(body)
	cfg := config(iss)
	cfg.JWKSURL = iss.JWKSURL()
	cfg.Algorithms = []string{"RS256", "ES256", "EdDSA"}
	for _, f := range configure {
		f(&cfg)
	}
	return authcases.NewValidator(t, cfg), iss
}

// RFC 7517 section 4.3: a key whose key_ops do not include "verify" must
// not verify signatures, just as one whose use is not "sig". The keys here
// are the issuer's real RSA key, so the refused tokens carry signatures
// that would verify.
func TestKeyOpsWithoutVerifyNeverVerify(t *testing.T) {
	pub := &testkeys.RSA().PublicKey
	refused := map[string]string{
		"ops-encrypt": `["encrypt"]`,
		"ops-sign":    `["sign"]`,
		"ops-empty":   `[]`,
	}
	allowed := map[string]string{
		"ops-verify":      `["verify"]`,
		"ops-sign-verify": `["sign","verify"]`,
	}
	var keys []string
	for kid, ops := range refused {
		keys = append(keys, rsaPublicJWK(kid, pub, `,"key_ops":`+ops))
	}
	for kid, ops := range allowed {
		keys = append(keys, rsaPublicJWK(kid, pub, `,"key_ops":`+ops))
	}
	v, iss := keySetValidator(t, jwksOf(keys...))
	for kid := range refused {
		_, err := v.Verify(t.Context(), iss.MustMint(nil, authtest.SignWithKey(testkeys.RSA(), kid)))
		wantCheck(t, err, "key")
	}
	for kid := range allowed {
		mustVerify(t, v, iss.MustMint(nil, authtest.SignWithKey(testkeys.RSA(), kid)))
	}
}

// key_ops values outside the IANA registry are allowed (RFC 7517 section
// 4.3: "Other values MAY be used"): "verify" among them still permits, and
// without "verify" the key is refused on its own, never the whole set.
func TestKeyOpsMayHoldUnregisteredValues(t *testing.T) {
	pub := &testkeys.RSA().PublicKey
	v, iss := keySetValidator(t, jwksOf(
		rsaPublicJWK("ops-verify-custom", pub, `,"key_ops":["verify","x-custom"]`),
		rsaPublicJWK("ops-custom", pub, `,"key_ops":["x-custom"]`),
		rsaPublicJWK("ops-repeated", pub, `,"key_ops":["verify","verify"]`),
	))
	mustVerify(t, v, iss.MustMint(nil, authtest.SignWithKey(testkeys.RSA(), "ops-verify-custom")))
	for _, kid := range []string{"ops-custom", "ops-repeated"} { // RFC 7517: no duplicate values
		_, err := v.Verify(t.Context(), iss.MustMint(nil, authtest.SignWithKey(testkeys.RSA(), kid)))
		wantCheck(t, err, "key")
	}
}

// Every unusable key of the catalogue, published alone beside a good key:
// the first load becomes ready, the good key verifies, a token naming the
// unusable key is refused as such (check "key", not an unknown kid), and a
// kid published later next to it is picked up, so rotation never stalls.
func TestOneUnusableKeyDoesNotBlockTheSet(t *testing.T) {
	good := rsaPublicJWK(testkeys.KIDRSA, &testkeys.RSA().PublicKey, `,"use":"sig","alg":"RS256"`)
	rotated := rsaPublicJWK(testkeys.KIDRSA2, &testkeys.RSA2().PublicKey, "")
	for _, k := range authcases.UnusableKeys() {
		t.Run(k.Kind+": "+k.Name, func(t *testing.T) {
			v, iss := keySetValidator(t, jwksOf(good, k.JWK), refreshOnEveryUnknownKID)
			mustVerify(t, v, iss.MustMint(nil))
			_, err := v.Verify(t.Context(), k.Forge(iss.URL()))
			wantCheck(t, err, "key")

			iss.SetJWKS(jwksOf(good, k.JWK, rotated))
			mustVerify(t, v, iss.MustMint(nil, authtest.SignWithKey(testkeys.RSA2(), testkeys.KIDRSA2)))
		})
	}
}

// A set of only unusable keys neither loads nor replaces loaded keys, and
// says why.
func TestOnlyUnusableKeysNeverLoad(t *testing.T) {
	var keys []string
	for _, k := range authcases.UnusableKeys() {
		keys = append(keys, k.JWK)
	}
	iss := newIssuer(t)
	iss.SetJWKS(jwksOf(keys...))
	rec := newLogRecorder()
	cfg := config(iss)
	cfg.JWKSURL = iss.JWKSURL()
	cfg.Logger = slog.New(rec)
	v := start(t, cfg)
	rec.waitFor(t, "signing keys not loaded")
	if err := v.WaitReady(doneContext()); err == nil || !strings.Contains(err.Error(), "no usable signing key") {
		t.Fatalf("WaitReady = %v, want the empty usable set named", err)
	}
}

// A key the issuer keeps publishing is logged once with its kid and reason,
// not on every refresh; the same kid refused for another reason is logged
// again.
func TestRefusedKeyIsLoggedOncePerKidAndReason(t *testing.T) {
	good := rsaPublicJWK(testkeys.KIDRSA, &testkeys.RSA().PublicKey, "")
	offCurve := `{"kty":"EC","crv":"P-256","kid":"bad","x":"` + b64(
		testkeys.EC().X.FillBytes(make([]byte, 32)),
	) + `","y":"` + b64(
		make([]byte, 32),
	) + `"}`
	rec := newLogRecorder()
	v, iss := keySetValidator(t, jwksOf(good, offCurve), func(c *core.Config) {
		c.Logger = slog.New(rec)
		refreshOnEveryUnknownKID(c)
	})
	const refusedMsg = "a JWKS key is refused"
	for i := range 3 {
		refresh(t, v, iss)
		if n := len(rec.matching(refusedMsg, "kid", "bad")); n != 1 {
			t.Fatalf("after %d refreshes the refused key was logged %d times, want once", i+1, n)
		}
	}
	logged := rec.matching(refusedMsg, "kid", "bad")[0]
	if r := attr(logged, "reason"); !strings.Contains(r, "curve") {
		t.Fatalf("reason %q does not say the point is off its curve", r)
	}
	if u := attr(logged, "jwks_url"); u != iss.JWKSURL() {
		t.Fatalf("jwks_url %q, want %q", u, iss.JWKSURL())
	}

	iss.SetJWKS(jwksOf(good, rsaPublicJWK("bad", &testkeys.RSA().PublicKey, `,"use":"enc"`)))
	refresh(t, v, iss)
	refresh(t, v, iss)
	if n := len(rec.matching(refusedMsg, "kid", "bad")); n != 2 {
		t.Fatalf("the kid refused for a new reason: %d records in all, want 2", n)
	}
}

// Member names are compared byte for byte and duplicates refused:
// encoding/json alone would let a later "Use":"sig" or "use":"sig"
// overwrite "use":"enc" and turn an encryption key into a signing key.
func TestJWKMembersCannotBeSmuggled(t *testing.T) {
	pub := &testkeys.RSA().PublicKey
	v, iss := keySetValidator(t, jwksOf(
		rsaPublicJWK("case-variant", pub, `,"use":"enc","Use":"sig"`),
		rsaPublicJWK("duplicate", pub, `,"use":"enc","use":"sig"`),
		rsaPublicJWK("ops-case-variant", pub, `,"key_ops":["encrypt"],"KEY_OPS":["verify"]`),
		rsaPublicJWK("unknown-member", pub, `,"USE":"enc","x-vendor":{"nested":[1,2]}`),
	))
	for _, kid := range []string{"case-variant", "duplicate", "ops-case-variant"} {
		_, err := v.Verify(t.Context(), iss.MustMint(nil, authtest.SignWithKey(testkeys.RSA(), kid)))
		wantCheck(t, err, "key")
	}
	// Members this library does not know, in any case, are ignored (RFC
	// 7517 section 4).
	mustVerify(t, v, iss.MustMint(nil, authtest.SignWithKey(testkeys.RSA(), "unknown-member")))
}

// The set is capped: an issuer cannot make every refresh parse thousands of
// keys.
func TestJWKSWithTooManyKeysIsRefused(t *testing.T) {
	keys := make([]string, 101)
	for i := range keys {
		keys[i] = rsaPublicJWK(fmt.Sprintf("k%d", i), &testkeys.RSA().PublicKey, "")
	}
	iss := newIssuer(t)
	iss.SetJWKS(jwksOf(keys...))
	rec := newLogRecorder()
	cfg := config(iss)
	cfg.JWKSURL = iss.JWKSURL()
	cfg.Logger = slog.New(rec)
	v := start(t, cfg)
	rec.waitFor(t, "signing keys not loaded")
	if err := v.WaitReady(doneContext()); err == nil || !strings.Contains(err.Error(), "more than the 100") {
		t.Fatalf("WaitReady = %v, want the cap named", err)
	}
}

// A key that cannot be read is refused on its own, and never panics.
func TestMalformedKeysAreRefusedOnTheirOwn(t *testing.T) {
	good := rsaPublicJWK(testkeys.KIDRSA, &testkeys.RSA().PublicKey, "")
	for name, key := range map[string]string{
		"not an object":        `"a string"`,
		"null":                 `null`,
		"kid not a string":     `{"kty":"RSA","kid":7,"n":"AQAB","e":"AQAB"}`,
		"x5c not an array":     `{"kty":"RSA","kid":"x","n":"AQAB","e":"AQAB","x5c":"abc"}`,
		"key_ops not an array": `{"kty":"RSA","kid":"x","n":"AQAB","e":"AQAB","key_ops":"verify"}`,
		"unknown kty":          `{"kty":"XYZ","kid":"x"}`,
		"Ed448":                `{"kty":"OKP","crv":"Ed448","kid":"x","x":"AAAA"}`,
		"no n":                 `{"kty":"RSA","kid":"x","e":"AQAB"}`,
		"n not base64url":      `{"kty":"RSA","kid":"x","n":"%%%","e":"AQAB"}`,
	} {
		t.Run(name, func(t *testing.T) {
			v, iss := keySetValidator(t, jwksOf(good, key))
			mustVerify(t, v, iss.MustMint(nil))
		})
	}
}

// A set that is not exactly one JSON object with one "keys" array is
// refused as a whole, with an error naming its URL.
func TestMalformedJWKSIsRefusedNamingItsURL(t *testing.T) {
	good := rsaPublicJWK(testkeys.KIDRSA, &testkeys.RSA().PublicKey, "")
	for name, body := range map[string]string{
		"trailing data":     `{"keys":[` + good + `]} {"keys":[]}`,
		"duplicate keys":    `{"keys":[` + good + `],"keys":[]}`,
		"an array":          `[` + good + `]`,
		"keys is an object": `{"keys":{"a":` + good + `}}`,
		"keys is null":      `{"keys":null}`,
		"no keys":           `{"Keys":[` + good + `]}`,
		"truncated":         `{"keys":[` + good,
		"not JSON":          `keys`,
	} {
		t.Run(name, func(t *testing.T) {
			iss := newIssuer(t)
			iss.SetJWKS([]byte(body))
			rec := newLogRecorder()
			cfg := config(iss)
			cfg.JWKSURL = iss.JWKSURL()
			cfg.Logger = slog.New(rec)
			v := start(t, cfg)
			rec.waitFor(t, "signing keys not loaded")
			if err := v.WaitReady(doneContext()); err == nil || !strings.Contains(err.Error(), iss.JWKSURL()) {
				t.Fatalf("WaitReady = %v, want an error naming the JWKS URL", err)
			}
		})
	}
}

// doneContext is a context that has already ended, for reading WaitReady's
// error once the cause has been logged.
func doneContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
