package core_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/stdauth"
)

// opaqueProvider is an RFC 7662 endpoint over loopback that answers from a
// table of opaque tokens, as a provider with opaque access tokens does.
type opaqueProvider struct {
	srv      *httptest.Server
	calls    atomic.Int64
	inflight atomic.Int64
	peak     atomic.Int64 // most calls in flight at once
	mu       sync.Mutex
	answers  map[string]string // token → JSON answer
	status   int               // non-zero: answer this status instead
	hold     chan struct{}     // non-nil: each call waits for it
	id, pass string
}

func newOpaqueProvider(t *testing.T) *opaqueProvider {
	p := &opaqueProvider{answers: map[string]string{}, id: "rs-1", pass: "s3cret"}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.calls.Add(1)
		n := p.inflight.Add(1)
		defer p.inflight.Add(-1)
		for old := p.peak.Load(); n > old && !p.peak.CompareAndSwap(old, n); old = p.peak.Load() {
		}
		p.mu.Lock()
		status, hold := p.status, p.hold
		p.mu.Unlock()
		if hold != nil {
			<-hold
		}
		if id, pass, ok := r.BasicAuth(); !ok || id != p.id || pass != p.pass {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if status != 0 {
			w.WriteHeader(status)
			return
		}
		p.mu.Lock()
		answer, ok := p.answers[r.PostFormValue("token")]
		p.mu.Unlock()
		if !ok {
			answer = `{"active":false}`
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(answer))
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *opaqueProvider) set(token, answer string) {
	p.mu.Lock()
	p.answers[token] = answer
	p.mu.Unlock()
}

func (p *opaqueProvider) verifier(t *testing.T, mutate ...func(*core.OpaqueConfig)) *core.OpaqueVerifier {
	cfg := core.OpaqueConfig{
		Issuer:   "https://id.example.com",
		Endpoint: p.srv.URL,
		ClientID: p.id, ClientSecret: p.pass,
		Audience: []string{"orders-api"},
		Logger:   slog.New(slog.DiscardHandler),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	o, err := core.NewOpaqueVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.Close() })
	return o
}

func future() string { return itoa(time.Now().Add(time.Hour).Unix()) }

func TestOpaqueTokensThroughTheMiddleware(t *testing.T) {
	p := newOpaqueProvider(t)
	p.set(
		"opaque-live",
		`{"active":true,"iss":"https://id.example.com","sub":"user-1","aud":["orders-api"],"scope":"read admin",`+
			`"exp":`+future()+`,"client_id":"app","tier":"gold"}`,
	)
	o := p.verifier(t)
	var got *core.Claims
	h := stdauth.Middleware(
		o,
	)(
		stdauth.RequireScope("admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, _ = core.ClaimsFrom(r.Context())
		})),
	)
	for _, tok := range []string{"opaque-live", "opaque-live"} { // the second is answered from the cache
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || got == nil || got.Subject != "user-1" || got.ClientID != "app" || !got.HasScope("read") {
			t.Fatalf("opaque token: %d %+v", rec.Code, got)
		}
	}
	var extra struct{ Tier string }
	if err := got.Decode(&extra); err != nil || extra.Tier != "gold" {
		t.Fatalf("Decode on an introspection answer: %v %+v", err, extra)
	}
	if n := p.calls.Load(); n != 1 {
		t.Fatalf("%d introspection calls for one token seen twice, want 1 (cached)", n)
	}
	// A five-part opaque token is not called encrypted.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req.Header.Set("Authorization", "Bearer a.b.c.d.e")
	h.ServeHTTP(rec, req)
	if rec.Code != 401 || strings.Contains(rec.Body.String(), "JWE") {
		t.Fatalf("unknown opaque token: %d %s", rec.Code, rec.Body)
	}
}

func TestOpaqueAnswersForOtherServicesOrKindsAreRefused(t *testing.T) {
	p := newOpaqueProvider(t)
	o := p.verifier(t)
	exp, expired := future(), itoa(time.Now().Add(-time.Minute).Unix())
	invalid, unavailable := core.ErrInvalidToken, core.ErrRevocationUnavailable
	for _, c := range []struct {
		answer string
		want   error
	}{
		{`{"active":false}`, invalid},
		{`{"active":true,"sub":"u","aud":"billing-api","exp":` + exp + `}`, invalid},
		{`{"active":true,"sub":"u","exp":` + exp + `}`, invalid}, // no aud
		{`{"active":true,"sub":"u","aud":"orders-api","iss":"https://evil.example","exp":` + exp + `}`, invalid},
		{`{"active":true,"sub":"u","aud":"orders-api","token_type":"refresh_token","exp":` + exp + `}`, invalid},
		{`{"active":true,"aud":"orders-api","exp":` + exp + `}`, invalid}, // no sub
		{`{"active":true,"sub":"u","aud":"orders-api","exp":` + expired + `}`, invalid},
		{`{"ACTIVE":true,"sub":"u","aud":"orders-api"}`, unavailable},
		{`{"active":"true","sub":"u","aud":"orders-api"}`, unavailable},
		{`{"active":true,"active":true,"sub":"u","aud":"orders-api"}`, unavailable},
		{`{"active":true,"sub":"u","aud":"orders-api","exp":"soon"}`, unavailable},
		{`{"active":true,"sub":"u","aud":"orders-api"}trailing`, unavailable},
		{`{"active":true,"sub":"u","aud":"orders-api","iss":"https://id.example.com","exp":` + exp + `}`, nil},
	} {
		token := "tok-" + itoa(int64(len(c.answer))) + "-" + itoa(int64(strings.Count(c.answer, "u")))
		p.set(token, c.answer)
		_, err := o.Verify(t.Context(), token)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.answer, err, c.want)
		}
	}
}

func TestOpaqueVerifierOutagesAndMisconfiguration(t *testing.T) {
	p := newOpaqueProvider(t)
	p.set("live", `{"active":true,"sub":"u","aud":"orders-api","exp":`+future()+`}`)

	p.status = http.StatusInternalServerError
	if _, err := p.verifier(t).Verify(t.Context(), "live"); !errors.Is(err, core.ErrRevocationUnavailable) {
		t.Fatalf("endpoint 500: %v, want ErrRevocationUnavailable (503)", err)
	}
	p.status = 0

	var logs bytes.Buffer
	wrong := p.verifier(t, func(c *core.OpaqueConfig) {
		c.ClientSecret = "wrong"
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	for range 3 {
		if _, err := wrong.Verify(t.Context(), "live"); !errors.Is(err, core.ErrRevocationUnavailable) {
			t.Fatalf("refused credentials: %v", err)
		}
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 || !strings.Contains(logs.String(), "ClientSecret") {
		t.Fatalf(
			"credentials refused by the endpoint: %d error records, want 1 naming the setting:\n%s",
			n,
			logs.String(),
		)
	}
	if strings.Contains(logs.String(), "wrong") {
		t.Fatal("the log holds the client secret")
	}

	// The caller's own context ending refuses the request at once.
	p.mu.Lock()
	p.hold = make(chan struct{})
	p.mu.Unlock()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := p.verifier(t).Verify(ctx, "live"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	p.mu.Lock()
	close(p.hold)
	p.hold = nil
	p.mu.Unlock()
}

// A flood of distinct junk tokens reaches the provider at most
// MaxConcurrency calls at a time; a request that finds no free slot within
// Timeout is answered 503.
func TestOpaqueVerifierCapsCallsInFlight(t *testing.T) {
	p := newOpaqueProvider(t)
	release := make(chan struct{})
	p.mu.Lock()
	p.hold = release
	p.mu.Unlock()
	o := p.verifier(t, func(c *core.OpaqueConfig) { c.MaxConcurrency = 4; c.Timeout = 10 * time.Second })
	var wg sync.WaitGroup
	var inactive atomic.Int64
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := o.Verify(context.Background(), "junk-"+itoa(int64(i))); errors.Is(err, core.ErrInvalidToken) {
				inactive.Add(1)
			}
		}()
	}
	for deadline := time.Now().Add(5 * time.Second); p.calls.Load() < 4 && time.Now().Before(deadline); {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if n := p.peak.Load(); n != 4 {
		t.Fatalf("%d calls reached the provider at once, want 4 (MaxConcurrency)", n)
	}
	if p.calls.Load() != 40 || inactive.Load() != 40 {
		t.Fatalf("%d calls, %d answered inactive; want 40 and 40", p.calls.Load(), inactive.Load())
	}

	// No free slot within Timeout: 503, not a wait without end.
	hold := make(chan struct{})
	p.mu.Lock()
	p.hold = hold
	p.mu.Unlock()
	defer close(hold)
	one := p.verifier(t, func(c *core.OpaqueConfig) { c.MaxConcurrency = 1; c.Timeout = 100 * time.Millisecond })
	first := make(chan error, 1)
	go func() { _, err := one.Verify(context.Background(), "held"); first <- err }()
	for deadline := time.Now().Add(5 * time.Second); p.calls.Load() < 41 && time.Now().Before(deadline); {
		runtime.Gosched()
	}
	if _, err := one.Verify(context.Background(), "waiting"); !errors.Is(err, core.ErrRevocationUnavailable) {
		t.Fatalf("no free slot: %v, want ErrRevocationUnavailable", err)
	}
	if err := <-first; !errors.Is(err, core.ErrRevocationUnavailable) {
		t.Fatalf("held call past Timeout: %v", err)
	}
}

func TestOpaqueVerifierDiscoversItsEndpoint(t *testing.T) {
	p := newOpaqueProvider(t)
	p.set("live", `{"active":true,"sub":"u","aud":"orders-api","exp":`+future()+`}`)
	var issuerURL string
	issuer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"` + issuerURL + `","jwks_uri":"` + issuerURL + `/jwks",` +
			`"introspection_endpoint":"` + p.srv.URL + `"}`))
	}))
	t.Cleanup(issuer.Close)
	issuerURL = issuer.URL
	o := p.verifier(t, func(c *core.OpaqueConfig) { c.Issuer, c.Endpoint = issuer.URL, "" })
	if _, err := o.Verify(t.Context(), "live"); err != nil {
		t.Fatalf("with a discovered endpoint: %v", err)
	}
	if _, err := core.NewOpaqueVerifier(core.OpaqueConfig{Audience: []string{"a"}}); err == nil {
		t.Fatal("NewOpaqueVerifier accepted a config with neither Issuer nor Endpoint")
	}
	if _, err := core.NewOpaqueVerifier(core.OpaqueConfig{
		Endpoint:     p.srv.URL,
		ClientID:     "c",
		ClientSecret: "s",
		Audience:     []string{"a"},
	}); err == nil ||
		!strings.Contains(err.Error(), "OpaqueConfig.Issuer") {
		t.Fatalf(
			"NewOpaqueVerifier with credentials bound to no issuer: %v, want an error naming OpaqueConfig.Issuer",
			err,
		)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
