package redisstore_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/backchannel"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/redistest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
	"github.com/identsphere/identsphere-go/revocation/redisstore"
	"github.com/identsphere/identsphere-go/stdauth"
)

var _ backchannel.ReplayStore = (*redisstore.ReplayCache)(nil)

// twoIssuers starts two issuers with keys of their own, both trusted by
// the replicas of newLogoutReplica (sub and sid are unique only per
// issuer: the tests give both the same ones).
func twoIssuers(t *testing.T) (a, b *authtest.Issuer) {
	t.Helper()
	a = authtest.NewIssuer(authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()), authtest.WithAudience(authcases.Audience))
	b = authtest.NewIssuer(authtest.WithKey(testkeys.KIDEC, testkeys.EC()), authtest.WithAudience(authcases.Audience))
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	return a, b
}

// newLogoutReplica starts a replica as the starters run one: a Validator
// of both issuers (core.NewMulti) whose revocations are in cfg's Store,
// and a back-channel logout receiver that records logouts there and
// checks replays against the fleet's ReplayCache.
func newLogoutReplica(t *testing.T, name string, issuers []*authtest.Issuer, cfg redisstore.Config) *replica {
	t.Helper()
	store := newStore(t, cfg)
	mc := core.MultiConfig{Logger: authcases.Discard()}
	for _, iss := range issuers {
		mc.Issuers = append(
			mc.Issuers,
			core.Config{Issuer: iss.URL(), Audience: []string{authcases.Audience}, Revocation: store},
		)
	}
	v, err := core.NewMulti(t.Context(), mc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := v.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	replay, err := store.ReplayCache(redisstore.DefaultLogoutReplayPrefix)
	if err != nil {
		t.Fatal(err)
	}
	logout, err := backchannel.NewHandler(
		backchannel.Config{Validator: v, ClientID: logoutClientID, Revoker: store, Replay: replay, Logger: cfg.Logger},
	)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+pathMe, stdauth.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})))
	mux.Handle("POST "+pathLogout, logout)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	return &replica{name: name, store: store, srv: srv, client: client}
}

// logoutAnswer is what a replica answered to a posted logout token.
type logoutAnswer struct {
	status     int
	retryAfter string
	errorCode  string
}

// postLogout posts a logout token to the replica, as the provider does.
func (r *replica) postLogout(t *testing.T, token string) logoutAnswer {
	t.Helper()
	resp, err := r.client.PostForm(r.srv.URL+pathLogout, url.Values{"logout_token": {token}})
	if err != nil {
		t.Fatalf("%s: %v", r.name, err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("%s: answer %d without Cache-Control: no-store", r.name, resp.StatusCode)
	}
	return logoutAnswer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), errorCode: body.Error}
}

func mustLogoutToken(t *testing.T, iss *authtest.Issuer, sid, sub string, claims authtest.Claims) string {
	t.Helper()
	tok, err := iss.MintLogoutToken(logoutClientID, sid, sub, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Two issuers, the same sid and sub: a logout from issuer B, posted to one
// replica, ends B's session on every replica (and on one started later,
// from the keys), and never A's.
func TestFleetLogoutOfOneIssuerSparesAnotherIssuersSameSession(t *testing.T) {
	redis := redistest.Start(t)
	a, b := twoIssuers(t)
	logs := newLogSink(t)
	issuers := []*authtest.Issuer{a, b}
	fleet := []*replica{
		newLogoutReplica(t, "replica-0", issuers, fleetConfig(redis, logs)),
		newLogoutReplica(t, "replica-1", issuers, fleetConfig(redis, logs)),
	}
	waitSynced(t, fleet...)

	exp := time.Now().Add(time.Hour)
	same := authtest.Claims{"sid": "s-shared", "exp": exp}
	fromA, fromB := a.MustMint(same), b.MustMint(same)
	subA, subB := a.MustMint(
		authtest.Claims{"sub": "u-shared", "exp": exp},
	), b.MustMint(
		authtest.Claims{"sub": "u-shared", "exp": exp},
	)
	for _, tok := range []string{fromA, fromB, subA, subB} {
		wantStatus(t, fleet, pathMe, tok, http.StatusOK, "before the logout") // and cached
	}

	if ans := fleet[0].postLogout(t, mustLogoutToken(t, b, "s-shared", "", nil)); ans.status != http.StatusOK {
		t.Fatalf("B's logout by sid: %+v", ans)
	}
	if ans := fleet[1].postLogout(t, mustLogoutToken(t, b, "", "u-shared", nil)); ans.status != http.StatusOK {
		t.Fatalf("B's logout by sub: %+v", ans)
	}
	for _, r := range fleet {
		for _, tok := range []string{fromB, subB} {
			eventually(t, 5*time.Second, r.name+" refuses B's logged-out tokens", func() bool {
				return r.status(t, pathMe, tok) == http.StatusUnauthorized
			})
		}
	}
	wantStatus(t, fleet, pathMe, fromA, http.StatusOK, "A's session with B's logged-out sid")
	wantStatus(t, fleet, pathMe, subA, http.StatusOK, "A's user with B's logged-out sub")

	late := newLogoutReplica(t, "replica-late", issuers, fleetConfig(redis, logs))
	waitSynced(t, late)
	wantStatus(t, []*replica{late}, pathMe, fromB, http.StatusUnauthorized, "read from the keys: B's session")
	wantStatus(t, []*replica{late}, pathMe, subB, http.StatusUnauthorized, "read from the keys: B's user")
	wantStatus(t, []*replica{late}, pathMe, fromA, http.StatusOK, "read from the keys: A's session")
	wantStatus(t, []*replica{late}, pathMe, subA, http.StatusOK, "read from the keys: A's user")
}

// A logout is acknowledged (200) only once Redis has it: with Redis down
// the receiver enforces it at once and answers 503 with Retry-After, so
// the provider posts it again; once Redis is back the retry is accepted,
// and a replica started afterwards refuses the session.
func TestFleetAcknowledgesALogoutOnlyOnceRedisHasIt(t *testing.T) {
	redis := redistest.Start(t, redistest.WithPersistence())
	a, b := twoIssuers(t)
	logs := newLogSink(t)
	issuers := []*authtest.Issuer{a, b}
	first := newLogoutReplica(t, "replica-first", issuers, fleetConfig(redis, logs))
	waitSynced(t, first)

	exp := time.Now().Add(time.Hour)
	upTok, downTok := a.MustMint(
		authtest.Claims{"sid": "s-up", "exp": exp},
	), a.MustMint(
		authtest.Claims{"sid": "s-down", "exp": exp},
	)
	bystander := a.MustMint(authtest.Claims{"sid": "s-live", "exp": exp})
	wantStatus(t, []*replica{first}, pathMe, downTok, http.StatusOK, "before the logout")

	if ans := first.postLogout(t, mustLogoutToken(t, a, "s-up", "", nil)); ans.status != http.StatusOK {
		t.Fatalf("a logout with Redis up: %+v, want 200", ans)
	}

	redis.Stop()
	logout := mustLogoutToken(t, a, "s-down", "", nil)
	ans := first.postLogout(t, logout)
	if ans.status != http.StatusServiceUnavailable || ans.retryAfter == "" ||
		ans.errorCode != "temporarily_unavailable" {
		t.Fatalf("a logout with Redis down: %+v, want 503 temporarily_unavailable with Retry-After", ans)
	}
	if got := first.status(t, pathMe, downTok); got != http.StatusUnauthorized {
		t.Fatalf(
			"the receiving replica answered %d for the logged-out session while Redis is down, want 401 at once",
			got,
		)
	}
	if !strings.Contains(logs.String(), "not yet recorded in the shared store") {
		t.Errorf("the 503 is not logged:\n%s", logs.String())
	}

	redis.Restart()
	eventually(t, 10*time.Second, "in sync again", first.store.Synced)
	if ans := first.postLogout(t, logout); ans.status != http.StatusOK {
		t.Fatalf("the provider's retry once Redis is back: %+v, want 200 (not refused as a replay)", ans)
	}

	fresh := newLogoutReplica(t, "replica-fresh", issuers, fleetConfig(redis, logs))
	waitSynced(t, fresh)
	everyone := []*replica{first, fresh}
	wantStatus(t, everyone, pathMe, upTok, http.StatusUnauthorized, "acknowledged with Redis up")
	wantStatus(t, everyone, pathMe, downTok, http.StatusUnauthorized, "acknowledged once Redis was back")
	wantStatus(t, everyone, pathMe, bystander, http.StatusOK, "another session")
}

// A logout token accepted at one replica is refused at every other (400,
// OpenID Connect Back-Channel Logout 1.0 section 2.8), and at the first
// again; another issuer's token with the same jti is another token.
func TestFleetRefusesALogoutTokenReplayedAtAnotherReplica(t *testing.T) {
	redis := redistest.Start(t)
	a, b := twoIssuers(t)
	logs := newLogSink(t)
	issuers := []*authtest.Issuer{a, b}
	fleet := []*replica{
		newLogoutReplica(t, "replica-0", issuers, fleetConfig(redis, logs)),
		newLogoutReplica(t, "replica-1", issuers, fleetConfig(redis, logs)),
	}
	waitSynced(t, fleet...)

	byJTI := authtest.Claims{"jti": "jti-shared"}
	logoutA := mustLogoutToken(t, a, "", "u-1", byJTI)
	if ans := fleet[0].postLogout(t, logoutA); ans.status != http.StatusOK {
		t.Fatalf("first use at %s: %+v", fleet[0].name, ans)
	}
	for _, r := range []*replica{fleet[1], fleet[0]} {
		if ans := r.postLogout(t, logoutA); ans.status != http.StatusBadRequest || ans.errorCode != "invalid_request" {
			t.Fatalf("the same logout token at %s: %+v, want 400 invalid_request", r.name, ans)
		}
	}
	if ans := fleet[1].postLogout(t, mustLogoutToken(t, b, "", "u-1", byJTI)); ans.status != http.StatusOK {
		t.Fatalf("issuer B's logout token with A's jti: %+v, want 200", ans)
	}
}

// When the replay store cannot answer, a logout is processed anyway: it is
// safe to apply twice, and refusing it could lose it. The warning says so.
func TestLogoutReplayCheckFailsTowardsProcessingTheLogout(t *testing.T) {
	redis := redistest.Start(t)
	a, _ := twoIssuers(t)
	logs := newLogSink(t)
	store := newStore(t, redisstore.Config{URL: redis.URL(), Logger: logs.logger(), Timeout: 500 * time.Millisecond})
	replay, err := store.ReplayCache(redisstore.DefaultLogoutReplayPrefix)
	if err != nil {
		t.Fatal(err)
	}
	deny := core.NewDenylist(nil)
	v := authcases.NewValidator(
		t,
		core.Config{
			Issuer:     a.URL(),
			Audience:   []string{authcases.Audience},
			Revocation: deny,
			Logger:     authcases.Discard(),
		},
	)
	h, err := backchannel.NewHandler(
		backchannel.Config{
			Validator: v,
			ClientID:  logoutClientID,
			Revoker:   deny.Revoker(),
			Replay:    replay,
			Logger:    logs.logger(),
		},
	)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	r := &replica{name: "replica", store: store, srv: srv, client: &http.Client{Timeout: 10 * time.Second}}

	redis.Stop()
	logout := mustLogoutToken(t, a, "s-1", "", nil)
	if ans := r.postLogout(t, logout); ans.status != http.StatusOK {
		t.Fatalf("a logout with the replay store down: %+v, want 200 (recorded in the Denylist)", ans)
	}
	if revoked, _ := deny.Revoked(t.Context(), &core.Claims{AdmittedBy: a.URL(), SessionID: "s-1"}); !revoked {
		t.Fatal("the logout was not applied")
	}
	if !strings.Contains(logs.String(), "not checked against the fleet's replay store") {
		t.Errorf("the unchecked replay is not logged:\n%s", logs.String())
	}
	if ans := r.postLogout(t, logout); ans.status != http.StatusBadRequest {
		t.Fatalf("a replay at the same replica: %+v, want 400 (its own memory)", ans)
	}
}

// Messages of the first format (no issuer), from replicas of an earlier
// version, are ignored, and logged once however many arrive.
func TestFirstFormatMessagesAreIgnoredAndLoggedOnce(t *testing.T) {
	redis := redistest.Start(t)
	raw := redis.Client()
	defer raw.Close()
	logs := newLogSink(t)
	s := newStore(t, redisstore.Config{URL: redis.URL(), Channel: "c", Logger: logs.logger()})
	if err := s.WaitSynced(t.Context()); err != nil {
		t.Fatal(err)
	}
	hour := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	for _, m := range []string{
		"sid 0 " + hour + " s-old", "sub 0 " + hour + " u-old", "jti 0 " + hour + " j-old",
		rawMessage("0", hour, "sid", "s-new"), // published last: once applied, the others were read
	} {
		if err := raw.Publish(t.Context(), "c", m).Err(); err != nil {
			t.Fatal(err)
		}
	}
	eventually(
		t,
		5*time.Second,
		"the v2 message applied",
		func() bool { return isRevoked(t, s, claims("u", "s-new", "", time.Now())) },
	)
	for _, c := range []*core.Claims{
		claims("u", "s-old", "", time.Now()), claims("u-old", "", "", time.Now()), claims("u", "", "j-old", time.Now()),
		{SessionID: "s-old"}, {Subject: "u-old"}, {ID: "j-old"},
	} {
		if isRevoked(t, s, c) {
			t.Errorf("a first-format message denies %+v", c)
		}
	}
	if n := strings.Count(logs.String(), "earlier version"); n != 1 {
		t.Errorf("first-format messages logged %d times, want once:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "unreadable messages") {
		t.Errorf("first-format messages taken for garbage (a resynchronisation each):\n%s", logs.String())
	}
}

// A logout answered 503 is forgotten in the fleet's replay store too, so
// the provider's retry is taken, not refused as a replay. Here the
// revocations' Redis is down while the replay store's answers.
func TestLogoutAnswered503IsForgottenByTheReplayStore(t *testing.T) {
	revocations, replays := redistest.Start(t), redistest.Start(t)
	a, _ := twoIssuers(t)
	logs := newLogSink(t)
	store := newStore(t, fleetConfig(revocations, logs))
	replayStore := newStore(t, fleetConfig(replays, logs))
	replay, err := replayStore.ReplayCache(redisstore.DefaultLogoutReplayPrefix)
	if err != nil {
		t.Fatal(err)
	}
	v := authcases.NewValidator(
		t,
		core.Config{
			Issuer:     a.URL(),
			Audience:   []string{authcases.Audience},
			Revocation: store,
			Logger:     authcases.Discard(),
		},
	)
	h, err := backchannel.NewHandler(
		backchannel.Config{
			Validator: v,
			ClientID:  logoutClientID,
			Revoker:   store,
			Replay:    replay,
			Logger:    logs.logger(),
		},
	)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	r := &replica{name: "replica", store: store, srv: srv, client: &http.Client{Timeout: 10 * time.Second}}

	revocations.Stop()
	logout := mustLogoutToken(t, a, "s-1", "", nil)
	for attempt := range 2 {
		if ans := r.postLogout(t, logout); ans.status != http.StatusServiceUnavailable {
			t.Fatalf("attempt %d with the revocations' Redis down: %+v, want 503 (a retry is no replay)", attempt, ans)
		}
	}
	raw := replays.Client()
	defer raw.Close()
	if keys := raw.Keys(t.Context(), redisstore.DefaultLogoutReplayPrefix+"*").Val(); len(keys) != 0 {
		t.Fatalf("the replay store still holds %v after the 503s", keys)
	}
}
