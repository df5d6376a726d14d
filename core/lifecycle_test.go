package core_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// The key lifecycle as an operator sees it: each step (keys loaded, keys
// added and removed by a rotation, a refresh that failed with the cached
// keys kept, a key refused, an issuer unreachable at start and back, an
// introspection endpoint that refuses the credentials, the Validator
// closed) writes its record, through a JSON handler into a buffer as in
// production, and reports its event to the Observer.

// jsonLog is a JSON slog handler's output, read back record by record.
type jsonLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *jsonLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *jsonLog) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (l *jsonLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// records returns the records whose msg contains msg.
func (l *jsonLog) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %q", sc.Text())
		}
		if m, _ := rec["msg"].(string); strings.Contains(m, msg) {
			out = append(out, rec)
		}
	}
	return out
}

// one returns the only record whose msg contains msg, at level.
func (l *jsonLog) one(t *testing.T, msg, level string) map[string]any {
	t.Helper()
	recs := l.records(t, msg)
	if len(recs) != 1 {
		t.Fatalf("%d records %q, want 1; log:\n%s", len(recs), msg, l)
	}
	if recs[0]["level"] != level {
		t.Errorf("record %q at level %v, want %s", msg, recs[0]["level"], level)
	}
	return recs[0]
}

// strs reads a JSON array of strings.
func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// recObserver records every event and timed operation.
type recObserver struct {
	mu     sync.Mutex
	events []core.Event
	ops    []opRecord
	wake   chan struct{}
}

type opRecord struct {
	op     core.Operation
	issuer string
	err    error
}

func newRecObserver() *recObserver { return &recObserver{wake: make(chan struct{}, 1)} }

func (o *recObserver) Decided(context.Context, core.Decision) {}

func (o *recObserver) Happened(_ context.Context, e core.Event) {
	o.mu.Lock()
	o.events = append(o.events, e)
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func (o *recObserver) Start(ctx context.Context, op core.Operation, issuer string) (context.Context, func(error)) {
	return ctx, func(err error) {
		o.mu.Lock()
		o.ops = append(o.ops, opRecord{op, issuer, err})
		o.mu.Unlock()
	}
}

func (o *recObserver) kinds() []core.EventKind {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []core.EventKind
	for _, e := range o.events {
		out = append(out, e.Kind)
	}
	return out
}

// of returns the events of kind k.
func (o *recObserver) of(k core.EventKind) []core.Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []core.Event
	for _, e := range o.events {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// wait waits until n events of kind k have been reported.
func (o *recObserver) wait(t testing.TB, k core.EventKind, n int) []core.Event {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		if es := o.of(k); len(es) >= n {
			return es
		}
		select {
		case <-o.wake:
		case <-deadline.C:
			t.Fatalf("%d %s events within 10s, want %d; events: %v", len(o.of(k)), k, n, o.kinds())
		}
	}
}

// lifecycle is an issuer and a Validator that logs to a buffer and reports
// to a recording Observer.
func lifecycle(t *testing.T, configure ...func(*core.Config)) (*authtest.Issuer, *core.Config, *jsonLog, *recObserver) {
	iss := newIssuer(t)
	log, obs := &jsonLog{}, newRecObserver()
	cfg := config(iss)
	cfg.Logger, cfg.Observer = log.logger(), obs
	refreshOnEveryUnknownKID(&cfg)
	for _, f := range configure {
		f(&cfg)
	}
	return iss, &cfg, log, obs
}

func TestLifecycleLoadAndRotation(t *testing.T) {
	iss, cfg, log, obs := lifecycle(t)
	v := authcases.NewValidator(t, *cfg)
	issuer := iss.URL()

	loaded := obs.wait(t, core.EventKeysLoaded, 1)[0]
	if loaded.Issuer != issuer || !slices.Equal(loaded.Kids, []string{testkeys.KIDRSA}) ||
		!slices.Equal(loaded.Algorithms, []string{"RS256"}) {
		t.Errorf("keys_loaded event %+v, want kid %s, RS256, issuer %s", loaded, testkeys.KIDRSA, issuer)
	}
	rec := log.one(t, "signing keys loaded", "INFO")
	if rec["issuer"] != issuer || !slices.Equal(strs(rec["kids"]), []string{testkeys.KIDRSA}) ||
		!slices.Equal(strs(rec["algorithms"]), []string{"RS256"}) {
		t.Errorf("keys loaded record %v", rec)
	}
	if got := obs.of(core.EventIssuerUnreachable); len(got) != 0 {
		t.Errorf("issuer_unreachable reported for an issuer that answered: %v", got)
	}

	// Rotation, first half: a new key is published and a token names it.
	iss.AddKey(testkeys.KIDRSA2, testkeys.RSA2())
	iss.UseKey(testkeys.KIDRSA2)
	mustVerify(t, v, iss.MustMint(nil))
	if es := obs.wait(t, core.EventUnknownKIDRefresh, 1); es[0].Issuer != issuer {
		t.Errorf("unknown_kid_refresh event %+v", es[0])
	}
	added := obs.wait(t, core.EventKeysChanged, 1)[0]
	if !slices.Equal(added.Added, []string{testkeys.KIDRSA2}) || len(added.Removed) != 0 {
		t.Errorf("keys_changed event %+v, want %s added, none removed", added, testkeys.KIDRSA2)
	}
	log.one(t, "a token named an unknown kid; refreshing the keys", "INFO")
	rec = log.one(t, "signing keys changed", "INFO")
	if !slices.Equal(strs(rec["added"]), []string{testkeys.KIDRSA2}) || rec["removed"] != nil ||
		rec["jwks_url"] != iss.JWKSURL() {
		t.Errorf("keys changed record %v, want added [%s] and no removed", rec, testkeys.KIDRSA2)
	}

	// Second half: the old key is withdrawn.
	iss.RemoveKey(testkeys.KIDRSA)
	refresh(t, v, iss)
	removed := obs.wait(t, core.EventKeysChanged, 2)[1]
	if !slices.Equal(removed.Removed, []string{testkeys.KIDRSA}) || len(removed.Added) != 0 {
		t.Errorf("keys_changed event %+v, want %s removed, none added", removed, testkeys.KIDRSA)
	}
	recs := log.records(t, "signing keys changed")
	if len(recs) != 2 || !slices.Equal(strs(recs[1]["removed"]), []string{testkeys.KIDRSA}) {
		t.Errorf("keys changed records %v, want a second one with [%s] removed", recs, testkeys.KIDRSA)
	}

	// A refresh that changes nothing reports nothing.
	refresh(t, v, iss)
	if n := len(obs.of(core.EventKeysChanged)); n != 2 {
		t.Errorf("%d keys_changed events after a refresh that changed nothing, want 2", n)
	}

	// Every fetch was timed as OpJWKSFetch for this issuer, and succeeded.
	obs.mu.Lock()
	fetches := 0
	for _, op := range obs.ops {
		if op.op == core.OpJWKSFetch {
			fetches++
			if op.issuer != issuer || op.err != nil {
				t.Errorf("JWKS fetch timed as %+v", op)
			}
		}
	}
	obs.mu.Unlock()
	if want := int(iss.JWKSFetches()); fetches != want {
		t.Errorf("%d JWKS fetches timed, the issuer served %d", fetches, want)
	}

	_ = v.Close()
	obs.wait(t, core.EventClosed, 1)
	log.one(t, "validator closed; signing keys are no longer refreshed", "INFO")
}

// A refresh that fails keeps the cached keys, says so with the cause, and
// shows in Status; the next good refresh clears it.
func TestLifecycleRefreshFailureKeepsKeys(t *testing.T) {
	iss, cfg, log, obs := lifecycle(t)
	v := authcases.NewValidator(t, *cfg)
	token := iss.MustMint(nil)
	mustVerify(t, v, token)

	iss.SetFault(authtest.FaultServerError)
	refresh(t, v, iss)
	failed := obs.wait(t, core.EventKeyRefreshFailed, 1)[0]
	if failed.Issuer != iss.URL() || failed.Err == nil || !strings.Contains(failed.Err.Error(), "500") {
		t.Errorf("key_refresh_failed event %+v, want the 500 named", failed)
	}
	rec := log.one(t, "key refresh failed; keeping the cached keys", "WARN")
	if e, _ := rec["error"].(string); !strings.Contains(e, "500") || rec["trigger"] != "unknown kid" ||
		rec["issuer"] != iss.URL() {
		t.Errorf("refresh failed record %v, want the 500, the trigger and the issuer", rec)
	}
	st := v.Status()
	if !st.Ready || st.Issuers[0].Keys != 1 || !strings.Contains(st.Issuers[0].LastError, "500") {
		t.Errorf("Status after a failed refresh: %+v, want ready, 1 key, the 500 as last error", st)
	}
	mustVerify(t, v, iss.MustMint(nil)) // the cached keys still verify

	iss.SetFault(authtest.FaultNone)
	refresh(t, v, iss)
	if st := v.Status(); st.Issuers[0].LastError != "" {
		t.Errorf("last error %q after a good refresh, want none", st.Issuers[0].LastError)
	}
	if n := len(obs.of(core.EventKeyRefreshFailed)); n != 1 {
		t.Errorf("%d key_refresh_failed events, want 1", n)
	}
}

// An issuer down at start: reported unreachable once with the cause, then
// loaded and recovered when it answers.
func TestLifecycleUnreachableThenRecovered(t *testing.T) {
	iss, cfg, log, obs := lifecycle(t)
	iss.SetFault(authtest.FaultServerError)
	v := start(t, *cfg)
	unreachable := obs.wait(t, core.EventIssuerUnreachable, 1)[0]
	if unreachable.Issuer != iss.URL() || unreachable.Err == nil {
		t.Errorf("issuer_unreachable event %+v, want the issuer and the cause", unreachable)
	}
	if rec := log.records(t, "signing keys not loaded; retrying"); len(rec) == 0 || rec[0]["level"] != "WARN" ||
		rec[0]["error"] == "" ||
		rec[0]["retry_in"] == nil {
		t.Fatalf("no WARN record with the cause and the retry delay: %v", rec)
	}
	if st := v.Status(); st.Ready || st.Issuers[0].LastError == "" {
		t.Errorf("Status while the issuer is down: %+v, want not ready with the cause", st)
	}

	iss.SetFault(authtest.FaultNone)
	obs.wait(t, core.EventIssuerRecovered, 1)
	kinds := obs.kinds()
	if i, j := slices.Index(kinds, core.EventKeysLoaded), slices.Index(kinds, core.EventIssuerRecovered); i < 0 ||
		i > j {
		t.Errorf("events %v: want keys_loaded, then issuer_recovered", kinds)
	}
	if n := len(obs.of(core.EventIssuerUnreachable)); n != 1 {
		t.Errorf("%d issuer_unreachable events, want 1 (the first failure only)", n)
	}
	rec := log.one(t, "issuer reachable again", "INFO")
	if n, _ := rec["failed_attempts"].(float64); n < 1 {
		t.Errorf("issuer back record %v, want failed_attempts ≥ 1", rec)
	}
	if st := v.Status(); !st.Ready || st.Issuers[0].LastError != "" {
		t.Errorf("Status after recovery: %+v", st)
	}
}

// An unusable key next to good ones is skipped, reported once with its
// kid and the reason while it stays published.
func TestLifecycleKeyRefused(t *testing.T) {
	iss, cfg, log, obs := lifecycle(t)
	iss.SetJWKS(jwksOf(rsaJWK(t, iss), `{"kty":"oct","kid":"shared-secret","k":"c2VjcmV0"}`))
	v := authcases.NewValidator(t, *cfg)
	refused := obs.wait(t, core.EventKeyRefused, 1)[0]
	if refused.Kid != "shared-secret" || refused.Reason == "" || refused.Issuer != iss.URL() {
		t.Errorf("key_refused event %+v", refused)
	}
	rec := log.one(t, "a JWKS key is refused", "WARN")
	if rec["kid"] != "shared-secret" || rec["reason"] != refused.Reason {
		t.Errorf("key refused record %v", rec)
	}
	refresh(t, v, iss)
	if n := len(obs.of(core.EventKeyRefused)); n != 1 {
		t.Errorf("%d key_refused events after a refresh with the same key, want 1", n)
	}
	if n := len(log.records(t, "a JWKS key is refused")); n != 1 {
		t.Errorf("%d key refused records after a refresh with the same key, want 1", n)
	}
}

// Client credentials the introspection endpoint refuses: one error record
// naming the setting to fix and one event, however many calls fail.
func TestLifecycleIntrospectionMisconfigured(t *testing.T) {
	iss, cfg, log, obs := lifecycle(t)
	v := authcases.NewValidator(t, *cfg)
	in, err := core.NewIntrospector(
		v,
		core.IntrospectionConfig{ClientID: authtest.IntrospectionClientID, ClientSecret: "wrong-secret"},
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	token := iss.MustMint(nil)
	claims, err := v.Verify(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := in.CheckFresh(t.Context(), token, claims); err == nil {
			t.Fatal("CheckFresh passed with refused credentials")
		}
	}
	events := obs.of(core.EventIntrospectionMisconfigured)
	if len(events) != 1 || events[0].Err == nil || !strings.Contains(events[0].Err.Error(), "ClientSecret") {
		t.Errorf("introspection_misconfigured events %+v, want one naming ClientSecret", events)
	}
	rec := log.one(t, "introspection cannot work until its configuration is fixed", "ERROR")
	if e, _ := rec["error"].(string); !strings.Contains(e, "401") || !strings.Contains(e, "ClientSecret") {
		t.Errorf("misconfiguration record %v, want the 401 and the setting named", rec)
	}
	if out := log.String(); strings.Contains(out, "wrong-secret") || strings.Contains(out, token) {
		t.Error("a record carries the client secret or the token")
	}
}

// A provider that moves its keys: the periodic refresh reads discovery
// again, follows the new jwks_uri, and says so (log record and event).
func TestLifecycleDiscoveryChanged(t *testing.T) {
	a := authtest.NewIssuer(
		authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithAudience(authcases.Audience),
	)
	b := authtest.NewIssuer(authtest.WithKey(testkeys.KIDEC, testkeys.EC()), authtest.WithAudience(authcases.Audience))
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	var jwksURI atomic.Value
	jwksURI.Store(a.JWKSURL())
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL, "jwks_uri": jwksURI.Load().(string)})
	}))
	t.Cleanup(srv.Close)
	var logs jsonLog
	obs := newRecObserver()
	v := authcases.NewValidator(
		t,
		core.Config{
			Issuer:          srv.URL,
			Audience:        []string{authcases.Audience},
			Logger:          logs.logger(),
			Observer:        obs,
			RefreshInterval: 20 * time.Millisecond,
		},
	)

	moved := b.MustMint(authtest.Claims{"iss": srv.URL})
	if _, err := v.Verify(t.Context(), moved); err == nil {
		t.Fatal("a token of a key not yet published was accepted")
	}
	jwksURI.Store(b.JWKSURL())
	obs.wait(t, core.EventDiscoveryChanged, 1)
	rec := logs.one(t, "identsphere: discovery changed", "INFO")
	if rec["jwks_url"] != b.JWKSURL() || rec["previous_jwks_url"] != a.JWKSURL() {
		t.Fatalf("discovery changed record: %v", rec)
	}
	// The refresh that follows fetches the new set: its keys replace the old.
	for _, e := range obs.wait(t, core.EventKeysChanged, 1) {
		if !slices.Contains(e.Added, testkeys.KIDEC) {
			t.Fatalf("keys changed without the moved set's key: %+v", e)
		}
	}
	if _, err := v.Verify(t.Context(), moved); err != nil {
		t.Fatalf("the moved key set's token: %v", err)
	}
}
