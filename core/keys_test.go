package core_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

func newIssuer(t *testing.T, opts ...authtest.Option) *authtest.Issuer {
	opts = append(
		[]authtest.Option{authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()), authtest.WithAudience(authcases.Audience)},
		opts...)
	iss := authtest.NewIssuer(opts...)
	t.Cleanup(iss.Close)
	return iss
}

func config(iss *authtest.Issuer) core.Config {
	return core.Config{Issuer: iss.URL(), Audience: []string{authcases.Audience}, Logger: authcases.Discard()}
}

// start builds a Validator without waiting for keys.
func start(t *testing.T, cfg core.Config) *core.Validator {
	v, err := core.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

func mustVerify(t *testing.T, v *core.Validator, token string) {
	t.Helper()
	if _, err := v.Verify(t.Context(), token); err != nil {
		t.Fatalf("valid token refused: %v", err)
	}
}

func wantCheck(t *testing.T, err error, check core.Check) {
	t.Helper()
	var te *core.TokenError
	if !errors.As(err, &te) || te.Check != check {
		t.Fatalf("err = %v, want a TokenError for %q", err, check)
	}
}

func TestConfigErrors(t *testing.T) {
	good := core.Config{Issuer: "https://id.example.com", Audience: []string{"api"}}
	cases := map[string]struct {
		mutate func(*core.Config)
		want   string
	}{
		"no issuer":      {func(c *core.Config) { c.Issuer = "" }, "Issuer is required"},
		"no audience":    {func(c *core.Config) { c.Audience = nil }, "Audience is required"},
		"empty audience": {func(c *core.Config) { c.Audience = []string{""} }, "empty string"},
		"HS256 allowed": {
			func(c *core.Config) { c.Algorithms = []string{"RS256", "HS256"} },
			`"HS256" is not allowed`,
		},
		"none allowed":      {func(c *core.Config) { c.Algorithms = []string{"none"} }, `"none" is not allowed`},
		"leeway too large":  {func(c *core.Config) { c.Leeway = 61 * time.Second }, "Leeway"},
		"negative leeway":   {func(c *core.Config) { c.Leeway = -time.Second }, "Leeway"},
		"plain http remote": {func(c *core.Config) { c.Issuer = "http://id.example.com" }, "loopback"},
		"issuer with query": {func(c *core.Config) { c.Issuer = "https://id.example.com?x=1" }, "query"},
		"relative issuer":   {func(c *core.Config) { c.Issuer = "/issuer" }, "absolute"},
		"skip issuer, no jwks": {
			func(c *core.Config) { c.Issuer, c.SkipIssuerCheck = "", true },
			"JWKSURL is required",
		},
		"negative refresh":        {func(c *core.Config) { c.RefreshInterval = -time.Second }, "negative"},
		"jwks url not https/http": {func(c *core.Config) { c.JWKSURL = "file:///etc/keys" }, "JWKSURL"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := good
			tc.mutate(&cfg)
			_, err := core.New(t.Context(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	for name, mutate := range map[string]func(*core.Config){
		"skip audience": func(c *core.Config) { c.Audience, c.SkipAudienceCheck = nil, true },
		"http loopback": func(c *core.Config) { c.Issuer = "http://127.0.0.1:1" },
		"http allowed":  func(c *core.Config) { c.Issuer, c.AllowInsecureHTTP = "http://id.internal", true },
	} {
		cfg := good
		mutate(&cfg)
		cfg.Logger = authcases.Discard()
		v, err := core.New(t.Context(), cfg)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		_ = v.Close()
	}
}

func TestDiscovery(t *testing.T) {
	t.Run("404 falls back to jwks.json", func(t *testing.T) {
		iss := newIssuer(t, authtest.WithoutDiscovery())
		v := authcases.NewValidator(t, config(iss))
		mustVerify(t, v, iss.MustMint(nil))
		if iss.DiscoveryFetches() == 0 || iss.JWKSFetches() == 0 {
			t.Fatalf("discovery %d, jwks %d fetches", iss.DiscoveryFetches(), iss.JWKSFetches())
		}
	})
	t.Run("explicit JWKSURL skips discovery", func(t *testing.T) {
		iss := newIssuer(t)
		cfg := config(iss)
		cfg.JWKSURL = iss.JWKSURL()
		v := authcases.NewValidator(t, cfg)
		mustVerify(t, v, iss.MustMint(nil))
		if n := iss.DiscoveryFetches(); n != 0 {
			t.Fatalf("%d discovery fetches, want 0", n)
		}
	})
	t.Run("issuer mismatch is refused", func(t *testing.T) {
		iss := newIssuer(t, authtest.WithDiscoveryIssuer("https://evil.example"))
		v := start(t, config(iss))
		err := loadFailure(t, v)
		if err == nil || !strings.Contains(err.Error(), "differs from the configured issuer") {
			t.Fatalf("WaitReady = %v, want the issuer mismatch named", err)
		}
		if _, err := v.Verify(t.Context(), iss.MustMint(nil)); !errors.Is(err, core.ErrKeysUnavailable) {
			t.Fatalf("Verify = %v, want ErrKeysUnavailable", err)
		}
		if iss.JWKSFetches() != 0 {
			t.Fatal("keys were fetched from an issuer whose discovery lied")
		}
	})
}

func TestIssuerDownAtStart(t *testing.T) {
	iss := newIssuer(t)
	iss.SetFault(authtest.FaultDown)
	v := start(t, config(iss))
	token := iss.MustMint(nil)
	if v.Ready() {
		t.Fatal("ready without keys")
	}
	if _, err := v.Verify(t.Context(), token); !errors.Is(err, core.ErrKeysUnavailable) {
		t.Fatalf("Verify = %v, want ErrKeysUnavailable", err)
	}
	srv := authcases.Serve(t, coreHandler(v))
	a := authcases.Do(t, srv.URL, authcases.Case{Auth: []string{"Bearer " + token}})
	if a.Status != http.StatusServiceUnavailable || a.RetryAfter == "" ||
		!strings.Contains(string(a.Body), "temporarily_unavailable") {
		t.Fatalf("answer %d %q %s, want 503 with Retry-After", a.Status, a.RetryAfter, a.Body)
	}

	iss.SetFault(authtest.FaultNone)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := v.WaitReady(ctx); err != nil {
		t.Fatalf("issuer came back but keys did not load: %v", err)
	}
	mustVerify(t, v, token)
}

// A refresh that finds no usable key, or an issuer that fails, keeps the
// cached keys and readiness. (An issuer that hangs instead:
// TestHangingRefreshIsBounded.)
func TestUnusableRefreshKeepsCachedKeys(t *testing.T) {
	iss := newIssuer(t)
	cfg := config(iss)
	refreshOnEveryUnknownKID(&cfg)
	v := authcases.NewValidator(t, cfg)
	token := iss.MustMint(nil)
	unusableRefresh := func(t *testing.T, kid string) {
		t.Helper()
		before := iss.JWKSFetches()
		_, err := v.Verify(t.Context(), iss.MustMint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), kid)))
		wantCheck(t, err, "kid")
		if iss.JWKSFetches() == before {
			t.Fatal("the unknown kid did not trigger a refresh")
		}
		mustVerify(t, v, token)
		if !v.Ready() {
			t.Fatal("no longer ready")
		}
	}
	bodies := map[string]string{
		"empty key list":       `{"keys":[]}`,
		"empty object":         `{}`,
		"null":                 `null`,
		"unknown key types":    `{"keys":[{"kty":"XYZ","kid":"x"}]}`,
		"only a symmetric key": `{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}`,
		"garbage":              `not json`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			iss.SetJWKS([]byte(body))
			unusableRefresh(t, "unknown-"+name)
		})
	}
	for _, f := range []authtest.Fault{authtest.FaultServerError, authtest.FaultGarbage, authtest.FaultDown} {
		t.Run(f.String(), func(t *testing.T) {
			iss.SetJWKS(nil)
			iss.SetFault(f)
			unusableRefresh(t, "unknown-"+f.String())
		})
	}
}

func TestSymmetricKeyFromJWKSNeverVerifies(t *testing.T) {
	iss := newIssuer(t)
	secret := []byte("0123456789abcdef0123456789abcdef")
	cfg := config(iss)
	cfg.JWKSURL = iss.JWKSURL()
	cfg.Algorithms = []string{"RS256"}
	iss.SetJWKS(
		[]byte(`{"keys":[` + rsaJWK(t, iss) + `,{"kty":"oct","kid":"h","alg":"HS256","k":"` + b64(secret) + `"}]}`),
	)
	v := authcases.NewValidator(t, cfg)
	mustVerify(t, v, iss.MustMint(nil))
	_, err := v.Verify(t.Context(), iss.MustMint(nil, authtest.SignWithSecret(secret, "h")))
	wantCheck(t, err, "alg")
}

func TestRotation(t *testing.T) {
	iss := newIssuer(t)
	cfg := config(iss)
	refreshOnEveryUnknownKID(&cfg)
	v := authcases.NewValidator(t, cfg)
	old := iss.MustMint(nil)

	// A new kid appears: the first token naming it triggers one refresh.
	iss.AddKey(testkeys.KIDRSA2, testkeys.RSA2())
	iss.UseKey(testkeys.KIDRSA2)
	before := iss.JWKSFetches()
	mustVerify(t, v, iss.MustMint(nil))
	if got := iss.JWKSFetches() - before; got != 1 {
		t.Fatalf("%d JWKS fetches for a new kid, want 1", got)
	}
	mustVerify(t, v, old) // both published

	// The old kid is removed: after the next refresh its tokens fail.
	iss.RemoveKey(testkeys.KIDRSA)
	refresh(t, v, iss)
	_, err := v.Verify(t.Context(), old)
	wantCheck(t, err, "kid")
	mustVerify(t, v, iss.MustMint(nil))
}

// A hanging issuer never holds a request for longer than UnknownKIDWait,
// requests with known kids do not wait at all, and the cached keys keep
// working meanwhile.
func TestHangingRefreshIsBounded(t *testing.T) {
	iss := newIssuer(t)
	cfg := config(iss)
	cfg.UnknownKIDWait = 200 * time.Millisecond
	cfg.HTTPTimeout = time.Minute // the refresh hangs for the slow delay (30s)
	v := authcases.NewValidator(t, cfg)
	token := iss.MustMint(nil)
	unknown := make([]string, 50)
	for i := range unknown {
		unknown[i] = iss.MustMint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), "k"+strconv.Itoa(i)))
	}
	before := iss.JWKSFetches()
	iss.SetFault(authtest.FaultSlow)

	var wg sync.WaitGroup
	slowest := make(chan time.Duration, len(unknown))
	for _, u := range unknown {
		wg.Go(func() {
			start := time.Now()
			_, err := v.Verify(context.Background(), u)
			slowest <- time.Since(start)
			if !errors.Is(err, core.ErrInvalidToken) {
				t.Errorf("unknown kid during a hang: %v", err)
			}
		})
	}
	mustVerify(t, v, token) // the cached key keeps working meanwhile
	wg.Wait()
	close(slowest)
	// The requests returned long before the issuer could answer (30s) or
	// the refresh time out (a minute): they did not wait for the refresh.
	// The bound is that far from both, and from UnknownKIDWait, so that
	// neither a busy machine nor a slow one can cross it.
	for d := range slowest {
		if d > 10*time.Second {
			t.Fatalf("a request waited %v on a hanging issuer (UnknownKIDWait %v)", d, cfg.UnknownKIDWait)
		}
	}
	// And the refresh they gave up on did reach the issuer, which holds it.
	waitUntil(t, "the unknown kids' refresh reaches the issuer", func() bool { return iss.JWKSFetches() > before })
	mustVerify(t, v, token)
	if !v.Ready() {
		t.Fatal("no longer ready during a hanging refresh")
	}
}

// No matter how many unknown kids arrive at once, the keys are refreshed
// at most once per UnknownKIDRefreshInterval (an hour here, so that the
// flood, however slow the machine, fits in one interval).
func TestUnknownKIDFlood(t *testing.T) {
	iss := newIssuer(t)
	cfg := config(iss)
	cfg.UnknownKIDRefreshInterval = time.Hour
	v := authcases.NewValidator(t, cfg)
	tokens := make([]string, 200)
	for i := range tokens {
		kid := make([]byte, 8)
		_, _ = rand.Read(kid)
		tokens[i] = iss.MustMint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), hex.EncodeToString(kid)))
	}
	before := iss.JWKSFetches()
	var wg sync.WaitGroup
	errs := make(chan error, len(tokens))
	for _, token := range tokens {
		wg.Go(func() {
			_, err := v.Verify(context.Background(), token)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, core.ErrInvalidToken) {
			t.Fatalf("random kid: %v, want invalid token", err)
		}
	}
	if got := iss.JWKSFetches() - before; got > 1 {
		t.Fatalf("200 random kids caused %d JWKS fetches, want at most 1", got)
	}
	mustVerify(t, v, iss.MustMint(nil))
}

func TestIssuerResponsesAreCapped(t *testing.T) {
	iss := newIssuer(t)
	cfg := config(iss)
	cfg.JWKSURL = iss.JWKSURL()
	cfg.MaxResponseBytes = 64 << 10
	iss.SetJWKS([]byte(`{"keys":[],"pad":"` + strings.Repeat("A", 128<<10) + `"}`))
	v := start(t, cfg)
	if err := loadFailure(t, v); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("WaitReady = %v, want the response refused as too large", err)
	}
}

func TestRedirectToAnotherSchemeRefused(t *testing.T) {
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://127.0.0.1:1/keys", http.StatusFound)
	}))
	t.Cleanup(redirect.Close)
	v := start(
		t,
		core.Config{
			Issuer:   "https://id.example.com",
			JWKSURL:  redirect.URL + "/keys",
			Audience: []string{"a"},
			Logger:   authcases.Discard(),
		},
	)
	if err := loadFailure(t, v); err == nil || !strings.Contains(err.Error(), "another scheme") {
		t.Fatalf("WaitReady = %v, want the redirect refused", err)
	}
}

func TestCloseIsIdempotentAndKeepsCachedKeys(t *testing.T) {
	iss := newIssuer(t)
	v := authcases.NewValidator(t, config(iss))
	_ = v.Close()
	_ = v.Close()
	mustVerify(t, v, iss.MustMint(nil))
}

// An issuer slower than UnknownKIDWait still delivers a rotated key: the
// refresh outlives the request that triggered it, and the requests that
// follow find the key.
func TestSlowIssuerStillDeliversRotatedKey(t *testing.T) {
	iss := newIssuer(t)
	cfg := config(iss)
	cfg.UnknownKIDWait = 50 * time.Millisecond
	v := authcases.NewValidator(t, cfg)

	iss.AddKey(testkeys.KIDRSA2, testkeys.RSA2())
	iss.SetSlowDelay(500 * time.Millisecond)
	iss.SetFault(authtest.FaultSlow)
	token := iss.MustMint(nil, authtest.SignWith(testkeys.KIDRSA2))
	if _, err := v.Verify(t.Context(), token); err == nil {
		t.Fatal("accepted before the slow refresh could have answered")
	}
	waitUntil(t, "the rotated key arrives", func() bool {
		_, err := v.Verify(t.Context(), token)
		return err == nil
	})
	if n := iss.JWKSFetches(); n != 2 {
		t.Fatalf("%d JWKS fetches, want 2 (load, one unknown-kid refresh)", n)
	}
}

// Close while many requests name unknown kids, each of which may start a
// background refresh: no data race, no panic ("WaitGroup is reused before
// previous Wait has returned"), and nothing left running (goleak). Run with
// -race.
func TestCloseDuringUnknownKIDTrafficIsSafe(t *testing.T) {
	iss := newIssuer(t)
	cfg := config(iss)
	cfg.UnknownKIDRefreshInterval = time.Nanosecond // every unknown kid may refresh
	tokens := make([]string, 8)
	for i := range tokens {
		tokens[i] = iss.MustMint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), "unknown-"+strconv.Itoa(i)))
	}
	const verifiers = 16
	for range 10 {
		v, err := core.New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.WaitReady(t.Context()); err != nil {
			t.Fatal(err)
		}
		var started, wg sync.WaitGroup
		started.Add(verifiers)
		stop := make(chan struct{})
		for g := range verifiers {
			wg.Go(func() {
				for n := 0; ; n++ {
					_, err := v.Verify(context.Background(), tokens[(g+n)%len(tokens)])
					if !errors.Is(err, core.ErrInvalidToken) {
						t.Errorf("unknown kid: %v, want invalid token", err)
					}
					if n == 0 {
						started.Done()
					}
					select {
					case <-stop:
						return
					default:
					}
				}
			})
		}
		started.Wait() // every verifier is in its loop
		_ = v.Close()
		close(stop)
		wg.Wait()
		if v.Ready() {
			t.Fatal("ready after Close")
		}
	}
}

// The context given to New governs New alone: cancelling it afterwards (a
// start-up context with a timeout, say) must not end key refresh. Here it
// is cancelled once the keys are loaded, and a key rotated in later is
// still picked up.
func TestKeysStillRefreshAfterNewContextEnds(t *testing.T) {
	iss := newIssuer(t)
	ctx, cancel := context.WithCancel(context.Background())
	v, err := core.New(ctx, config(iss))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	if err := v.WaitReady(t.Context()); err != nil {
		t.Fatal(err)
	}
	cancel()
	if !v.Ready() {
		t.Fatal("not ready once New's context ended")
	}
	iss.AddKey(testkeys.KIDRSA2, testkeys.RSA2())
	mustVerify(t, v, iss.MustMint(nil, authtest.SignWith(testkeys.KIDRSA2)))
}

// A context already done when New is called is an error, not a Validator
// that answers 503 forever.
func TestNewRefusesADoneContext(t *testing.T) {
	iss := newIssuer(t)
	v, err := core.New(doneContext(), config(iss))
	if err == nil {
		_ = v.Close()
		t.Fatal("New accepted a cancelled context")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want one wrapping context.Canceled", err)
	}
}

// A closed Validator no longer refreshes its keys: it says so in its log,
// Ready and WaitReady report it, and Verify still serves the cached keys.
func TestClosedValidatorSaysItNoLongerRefreshes(t *testing.T) {
	iss := newIssuer(t)
	rec := newLogRecorder()
	cfg := config(iss)
	cfg.Logger = slog.New(rec)
	v := authcases.NewValidator(t, cfg)
	token := iss.MustMint(nil)
	_ = v.Close()
	if v.Ready() {
		t.Fatal("Ready after Close")
	}
	if err := v.WaitReady(t.Context()); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("WaitReady after Close = %v, want an error saying it is closed", err)
	}
	if len(rec.matching("no longer refreshed", "issuer", iss.URL())) != 1 {
		t.Fatal("Close did not log that keys are no longer refreshed")
	}
	mustVerify(t, v, token)
}

// An issuer configured as its JWKS URL or its discovery URL fails with an
// error that names the URLs that answered 404 and the fix.
func TestIssuerSetToAWellKnownURLNamesTheFix(t *testing.T) {
	iss := newIssuer(t)
	for name, issuer := range map[string]string{
		"JWKS URL":      iss.JWKSURL(),
		"discovery URL": iss.URL() + "/.well-known/openid-configuration",
	} {
		t.Run(name, func(t *testing.T) {
			rec := newLogRecorder()
			cfg := config(iss)
			cfg.Issuer, cfg.Logger = issuer, slog.New(rec)
			v := start(t, cfg)
			rec.waitFor(t, "signing keys not loaded")
			err := v.WaitReady(doneContext())
			if err == nil {
				t.Fatal("WaitReady succeeded")
			}
			for _, want := range []string{
				issuer + "/.well-known/jwks.json answered 404 Not Found",
				issuer + "/.well-known/openid-configuration answered 404 Not Found",
				"not an issuer identifier",
				"likely \"" + iss.URL() + "\"",
				"JWKSURL",
			} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("WaitReady error lacks %q:\n%v", want, err)
				}
			}
		})
	}
	t.Run("JWKSURL that answers 404", func(t *testing.T) {
		rec := newLogRecorder()
		cfg := config(iss)
		cfg.JWKSURL, cfg.Logger = iss.URL()+"/keys", slog.New(rec)
		v := start(t, cfg)
		rec.waitFor(t, "signing keys not loaded")
		err := v.WaitReady(doneContext())
		if err == nil ||
			!strings.Contains(err.Error(), iss.URL()+"/keys answered 404 Not Found; check Config.JWKSURL") {
			t.Fatalf("WaitReady = %v, want the URL, its 404 and the fix", err)
		}
	})
}
