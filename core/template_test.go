package core_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// tenantsProvider is a multi-tenant provider on loopback in Entra ID's
// shape that knows some tenants: it serves their discovery documents at
// /{tenant}/v2.0/.well-known/openid-configuration, all naming one key set
// (an authtest issuer's), and answers any other tenant with 404 or, for
// half of them, a 200 whose body is not JSON. It counts the requests for
// known and unknown tenants apart.
type tenantsProvider struct {
	srv   *httptest.Server
	keys  *authtest.Issuer
	known sync.Map // tenant → true

	knownRequests, junkRequests atomic.Int64
	minted                      atomic.Int64
}

func newTenantsProvider(t testing.TB, known ...string) *tenantsProvider {
	p := &tenantsProvider{keys: authtest.NewIssuer(authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()))}
	t.Cleanup(p.keys.Close)
	for _, k := range known {
		p.known.Store(k, true)
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *tenantsProvider) serve(w http.ResponseWriter, r *http.Request) {
	tenant, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if _, ok := p.known.Load(tenant); !ok {
		p.junkRequests.Add(1)
		h := fnv.New32()
		_, _ = h.Write([]byte(tenant))
		if h.Sum32()%2 == 0 {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("<html>502 Bad Gateway</html>"))
		return
	}
	p.knownRequests.Add(1)
	if r.URL.Path != "/"+tenant+"/v2.0/.well-known/openid-configuration" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"issuer": p.issuer(tenant), "jwks_uri": p.keys.JWKSURL()})
}

func (p *tenantsProvider) issuer(tenant string) string { return p.srv.URL + "/" + tenant + "/v2.0" }

func (p *tenantsProvider) template() string { return p.srv.URL + "/{tenant}/v2.0" }

// mint signs a new token of tenant with key (the provider's: testkeys.RSA).
func (p *tenantsProvider) mint(t testing.TB, tenant string, key any) string {
	t.Helper()
	claims := jwt.MapClaims{
		"iss": p.issuer(tenant),
		"tid": tenant,
		"aud": "api://orders",
		"sub": "user-1",
		"jti": fmt.Sprint(p.minted.Add(1)),
		"exp": time.Now().Add(time.Hour).Unix(),
		"iat": time.Now().Unix(),
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = testkeys.KIDRSA
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// unsigned is a token of tenant that names the provider's key but carries
// a signature nobody made.
func (p *tenantsProvider) unsigned(tenant string) string {
	enc := base64.RawURLEncoding.EncodeToString
	header := enc([]byte(`{"alg":"RS256","typ":"JWT","kid":"` + testkeys.KIDRSA + `"}`))
	payload := enc(
		fmt.Appendf(
			nil,
			`{"iss":%q,"tid":%q,"aud":"api://orders","sub":"x","exp":%d}`,
			p.issuer(tenant),
			tenant,
			time.Now().Add(time.Hour).Unix(),
		),
	)
	return header + "." + payload + "." + enc([]byte(strings.Repeat("\x5a", 256)))
}

// loadWait is how long a token of a new tenant waits for its keys: long,
// since a loaded machine may be slow, and only a bound; a load that ends
// sooner ends the wait.
const loadWait = 10 * time.Second

// fakeClock is a Now that moves only when told.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time            { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Add(d time.Duration)       { c.ns.Add(int64(d)) }
func (c *fakeClock) Since(t time.Time) float64 { return c.Now().Sub(t).Seconds() }

// templateStatus returns the Status of v's only template.
func templateStatus(t *testing.T, v *core.Validator) core.TemplateStatus {
	t.Helper()
	st := v.Status()
	if len(st.Templates) != 1 {
		t.Fatalf("Status has %d templates, want 1", len(st.Templates))
	}
	return st.Templates[0]
}

// settle waits until no issuer of v's template is loading, woken by the
// observer's events (each load ends in one).
func settle(t *testing.T, v *core.Validator, obs *recObserver) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for templateStatus(t, v).Loading > 0 {
		select {
		case <-obs.wake:
		case <-deadline.C:
			t.Fatalf("issuers still loading after 20s: %+v", templateStatus(t, v))
		}
	}
}

func wantAdmitted(t *testing.T, v *core.Validator, token, by string) {
	t.Helper()
	c, err := v.Verify(t.Context(), token)
	if err != nil || c.AdmittedBy != by {
		t.Fatalf("a token of %s: %v", by, err)
	}
}

// wantUnavailable checks that err is answered 503 temporarily_unavailable
// with Retry-After.
func wantUnavailable(t *testing.T, name string, err error) {
	t.Helper()
	r := core.NewErrorResponse(err, "")
	if !errors.Is(err, core.ErrKeysUnavailable) || r.Status != http.StatusServiceUnavailable ||
		r.Code != "temporarily_unavailable" ||
		r.RetryAfter == "" {
		t.Errorf(
			"%s: %v answered %d %q Retry-After %q, want 503 temporarily_unavailable with Retry-After",
			name,
			err,
			r.Status,
			r.Code,
			r.RetryAfter,
		)
	}
}

// TestJunkTenantsFlood sends 10,000 unsigned tokens of distinct tenants
// that do not exist, from concurrent clients, to a template that allows
// any tenant: the Validator stays ready, a tenant loaded before and one
// new after are admitted, the provider serves no more requests than the
// rate allows over the (fake) time that passed, and the failed tenants
// held stay within their cap.
func TestJunkTenantsFlood(t *testing.T) {
	p := newTenantsProvider(t, "real-a", "real-b")
	clock, obs, log := newFakeClock(), newRecObserver(), &jsonLog{}
	const maxFailed = 64
	v := newMulti(t, core.MultiConfig{
		Logger: log.logger(), Observer: obs, Now: clock.Now,
		Templates: []core.IssuerTemplate{{
			Issuer:           p.template(),
			Config:           core.Config{Audience: []string{"api://orders"}, UnknownKIDWait: loadWait},
			AllowTenant:      func(string) bool { return true },
			TenantClaim:      "tid",
			MaxIssuers:       2,
			MaxFailedTenants: maxFailed,
		}},
	})
	start := clock.Now()
	wantAdmitted(t, v, p.mint(t, "real-a", testkeys.RSA()), p.issuer("real-a"))
	if !v.Ready() {
		t.Fatal("not ready with a template's issuer loaded")
	}
	knownBefore := p.knownRequests.Load() + int64(p.keys.JWKSFetches())

	const tokens, clients = 10_000, 16
	var next, notReady, admitted atomic.Int64
	var wrong sync.Map // a refusal that is not a 503, by error text
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > tokens {
					return
				}
				if i%100 == 0 {
					clock.Add(time.Second) // 100 s in all
				}
				_, err := v.Verify(context.Background(), p.unsigned(fmt.Sprintf("junk-%d", i)))
				switch r := core.NewErrorResponse(err, ""); {
				case err == nil:
					admitted.Add(1)
				case r.Status != http.StatusServiceUnavailable || r.RetryAfter == "":
					wrong.Store(err.Error(), r.Status)
				}
				if !v.Ready() {
					notReady.Add(1)
				}
			}
		})
	}
	wg.Wait()
	settle(t, v, obs)
	if n := notReady.Load(); n > 0 {
		t.Errorf("not ready %d times during the flood", n)
	}
	if n := admitted.Load(); n > 0 {
		t.Errorf("%d unsigned tokens admitted", n)
	}
	wrong.Range(func(k, v any) bool {
		t.Errorf("a junk token answered %v: %v, want 503 with Retry-After", v, k)
		return true
	})

	// The rate allows NewIssuerBurst issuers at once and
	// NewIssuersPerSecond more per second of the clock; each costs at most
	// two requests.
	elapsed := clock.Since(start)
	allowed := float64(core.DefaultNewIssuerBurst) + core.DefaultNewIssuersPerSecond*elapsed
	if junk := p.junkRequests.Load(); float64(junk) > 2*allowed || junk == 0 {
		t.Errorf(
			"the provider served %d requests for junk tenants over %.0f s, want 1 to %.0f",
			junk,
			elapsed,
			2*allowed,
		)
	}
	st := templateStatus(t, v)
	if st.FailedTenants > maxFailed || st.FailedTenants == 0 || st.Loaded != 1 || st.Loading != 0 {
		t.Errorf("after the flood: %+v, want 1 loaded, none loading, 1 to %d failed tenants", st, maxFailed)
	}
	if st.RateLimited == 0 || float64(st.Failed) > allowed {
		t.Errorf(
			"after the flood: %d failed, %d rate-limited; want at most %.0f failed and some rate-limited",
			st.Failed,
			st.RateLimited,
			allowed,
		)
	}
	for _, is := range v.Status().Issuers {
		if strings.Contains(is.Issuer, "junk-") {
			t.Errorf("a junk tenant's issuer is still held: %+v", is)
		}
	}
	// Rate-limited refusals are logged and reported, at most every 10 s.
	recs, events := log.records(t, "faster than the issuer template"), obs.of(core.EventTenantRateLimited)
	if maxRecs := int(elapsed/10) + 1; len(recs) == 0 || len(recs) > maxRecs || len(events) != len(recs) {
		t.Errorf("%d rate-limit log records and %d events, want 1 to %d of each", len(recs), len(events), maxRecs)
	}
	if n := len(obs.of(core.EventTenantFailed)); uint64(n) != st.Failed {
		t.Errorf("%d EventTenantFailed, want %d", n, st.Failed)
	}

	// The tenant loaded before is admitted without any request, and a new
	// real one once the rate allows a new issuer again.
	wantAdmitted(t, v, p.mint(t, "real-a", testkeys.RSA()), p.issuer("real-a"))
	if n := p.knownRequests.Load() + int64(p.keys.JWKSFetches()) - knownBefore; n != 0 {
		t.Errorf("%d requests for a tenant loaded before", n)
	}
	clock.Add(time.Second)
	wantAdmitted(t, v, p.mint(t, "real-b", testkeys.RSA()), p.issuer("real-b"))
	if !v.Ready() {
		t.Error("not ready after the flood")
	}
}

// TestFailedTenantIsDroppedAndRefusedCheaply: an issuer whose first key
// load fails is dropped, its tenant refused (503) without any request until
// RetryFailedAfter passes, then tried again; the failed tenants held stay
// within MaxFailedTenants.
func TestFailedTenantIsDroppedAndRefusedCheaply(t *testing.T) {
	p := newTenantsProvider(t, "real-a")
	clock, obs := newFakeClock(), newRecObserver()
	v := newMulti(t, core.MultiConfig{
		Observer: obs, Now: clock.Now,
		Templates: []core.IssuerTemplate{{
			Issuer:           p.template(),
			Config:           core.Config{Audience: []string{"api://orders"}, UnknownKIDWait: loadWait},
			AllowTenant:      func(string) bool { return true },
			RetryFailedAfter: time.Minute,
			MaxFailedTenants: 3,
		}},
	})
	_, err := v.Verify(t.Context(), p.unsigned("gone"))
	wantUnavailable(t, "the first token of a tenant that does not exist", err)
	failed := obs.wait(t, core.EventTenantFailed, 1)
	if failed[0].Issuer != p.template() || failed[0].Err == nil ||
		!strings.Contains(failed[0].Err.Error(), p.issuer("gone")) {
		t.Fatalf("EventTenantFailed: %+v", failed[0])
	}
	settle(t, v, obs)
	for _, is := range v.Status().Issuers {
		t.Errorf("a dropped issuer is still held: %+v", is)
	}
	if !v.Ready() {
		t.Fatal("a failed tenant made the Validator unready")
	}

	before := p.junkRequests.Load()
	clock.Add(time.Minute - time.Second)
	for range 100 {
		_, err := v.Verify(t.Context(), p.unsigned("gone"))
		wantUnavailable(t, "a token of a failed tenant", err)
	}
	if n := p.junkRequests.Load() - before; n != 0 {
		t.Fatalf("tokens of a failed tenant made %d requests", n)
	}
	clock.Add(time.Second) // RetryFailedAfter has passed
	_, err = v.Verify(t.Context(), p.unsigned("gone"))
	wantUnavailable(t, "a token of a failed tenant tried again", err)
	obs.wait(t, core.EventTenantFailed, 2)
	if n := p.junkRequests.Load() - before; n == 0 || n > 2 {
		t.Fatalf("trying a failed tenant again made %d requests, want 1 or 2", n)
	}

	for i := range 5 {
		_, _ = v.Verify(t.Context(), p.unsigned(fmt.Sprintf("gone-%d", i)))
	}
	obs.wait(t, core.EventTenantFailed, 7)
	if st := templateStatus(t, v); st.FailedTenants != 3 || st.Failed != 7 {
		t.Fatalf("%+v, want 3 failed tenants held (the cap), 7 failures", st)
	}
}

// TestTemplateEvictsTheLeastRecentlyUsed: at MaxIssuers loaded issuers, a
// new tenant's is admitted and the least recently used one closed.
func TestTemplateEvictsTheLeastRecentlyUsed(t *testing.T) {
	p := newTenantsProvider(t, "a", "b", "c")
	obs, log := newRecObserver(), &jsonLog{}
	v := newMulti(t, core.MultiConfig{
		Observer: obs, Logger: log.logger(),
		Templates: []core.IssuerTemplate{{
			Issuer:      p.template(),
			Config:      core.Config{Audience: []string{"api://orders"}, UnknownKIDWait: loadWait},
			AllowTenant: func(string) bool { return true },
			MaxIssuers:  2,
		}},
	})
	for _, tenant := range []string{"a", "b", "a", "c"} { // b is the least recently used when c arrives
		wantAdmitted(t, v, p.mint(t, tenant, testkeys.RSA()), p.issuer(tenant))
	}
	obs.wait(t, core.EventTenantEvicted, 1)
	if log.records(t, "least recently used")[0]["issuer"] != p.issuer("b") {
		t.Fatalf("evicted not b's issuer:\n%s", log)
	}
	if st := templateStatus(t, v); st.Loaded != 2 || st.Evicted != 1 {
		t.Fatalf("%+v, want 2 loaded, 1 evicted", st)
	}
	for _, is := range v.Status().Issuers {
		if is.Issuer == p.issuer("b") {
			t.Fatalf("the evicted issuer is still held: %+v", is)
		}
		if is.Template != p.template() {
			t.Errorf("%s is not marked with its template: %+v", is.Issuer, is)
		}
	}
	// b comes back, at the cost of the least recently used now (a).
	wantAdmitted(t, v, p.mint(t, "b", testkeys.RSA()), p.issuer("b"))
	if evicted := obs.wait(t, core.EventTenantEvicted, 2); evicted[1].Issuer != p.template() ||
		log.records(t, "least recently used")[1]["issuer"] != p.issuer("a") {
		t.Fatalf("second eviction: %+v, want a's issuer:\n%s", evicted[1], log)
	}
}

// TestTemplateSharedKeys: with SharedKeysURL, a token of a tenant that has
// no issuer yet is checked against the shared keys first: a forged or
// unsigned token never causes a per-tenant request.
func TestTemplateSharedKeys(t *testing.T) {
	p := newTenantsProvider(t, "real-a")
	v := newMulti(t, core.MultiConfig{
		Templates: []core.IssuerTemplate{{
			Issuer:        p.template(),
			Config:        core.Config{Audience: []string{"api://orders"}, UnknownKIDWait: loadWait},
			AllowTenant:   func(string) bool { return true },
			SharedKeysURL: p.keys.JWKSURL(),
		}},
	})
	for i := range 200 {
		tenant := fmt.Sprintf("junk-%d", i)
		_, err := v.Verify(t.Context(), p.mint(t, tenant, testkeys.AttackerRSA()))
		wantCheckNamed(t, "a forged token", err, "signature")
		_, err = v.Verify(t.Context(), p.unsigned(tenant))
		wantCheckNamed(t, "an unsigned token", err, "signature")
	}
	if n := p.junkRequests.Load() + p.knownRequests.Load(); n != 0 {
		t.Fatalf("forged tokens made %d per-tenant requests, want 0", n)
	}
	if st := templateStatus(t, v); st.Loaded+st.Loading+int(st.Failed) != 0 {
		t.Fatalf("forged tokens made issuers: %+v", st)
	}
	wantAdmitted(t, v, p.mint(t, "real-a", testkeys.RSA()), p.issuer("real-a"))

	for _, bad := range []core.IssuerTemplate{
		{
			Issuer:        p.template(),
			Config:        core.Config{Audience: []string{"x"}},
			AllowTenant:   func(string) bool { return true },
			SharedKeysURL: "https://keys.example/{tenant}",
		},
		{
			Issuer:        p.template(),
			Config:        core.Config{Audience: []string{"x"}},
			AllowTenant:   func(string) bool { return true },
			SharedKeysURL: "ftp://keys.example/",
		},
		{
			Issuer:              p.template(),
			Config:              core.Config{Audience: []string{"x"}},
			AllowTenant:         func(string) bool { return true },
			NewIssuersPerSecond: -1,
		},
	} {
		if _, err := core.NewMulti(t.Context(), core.MultiConfig{Templates: []core.IssuerTemplate{bad}}); err == nil {
			t.Errorf("NewMulti accepted %+v", bad)
		}
	}
}

// TestSharedKeysDecideReadiness: a template's shared keys are loaded like
// a configured issuer's, and Ready waits for them.
func TestSharedKeysDecideReadiness(t *testing.T) {
	p := newTenantsProvider(t)
	p.keys.SetFault(authtest.FaultServerError)
	v, err := core.NewMulti(t.Context(), core.MultiConfig{
		Templates: []core.IssuerTemplate{{
			Issuer:        p.template(),
			Config:        core.Config{Audience: []string{"api://orders"}, UnknownKIDWait: loadWait},
			AllowTenant:   func(string) bool { return true },
			SharedKeysURL: p.keys.JWKSURL(),
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	if v.Ready() {
		t.Fatal("ready before the shared keys loaded")
	}
	p.keys.SetFault(authtest.FaultNone)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := v.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
}
