package backchannel_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/backchannel"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/testkeys"
	"github.com/identsphere/identsphere-go/stdauth"
)

const clientID = "orders-web"

// env is a service that validates tokens of one issuer, revokes through a
// Denylist, and receives back-channel logout on /backchannel-logout.
type env struct {
	iss  *authtest.Issuer
	v    *core.Validator
	srv  *httptest.Server
	deny *core.Denylist
}

func newEnv(t *testing.T) *env {
	t.Helper()
	iss := authtest.NewIssuer(
		authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithAudience(authcases.Audience),
	)
	t.Cleanup(iss.Close)
	deny := core.NewDenylist(nil)
	v := authcases.NewValidator(
		t,
		core.Config{
			Issuer:     iss.URL(),
			Audience:   []string{authcases.Audience},
			Revocation: deny,
			Logger:     authcases.Discard(),
		},
	)
	h, err := backchannel.NewHandler(
		backchannel.Config{Validator: v, ClientID: clientID, Revoker: deny.Revoker(), Logger: authcases.Discard()},
	)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/backchannel-logout", h)
	mux.Handle("/api/me", stdauth.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{iss: iss, v: v, srv: srv, deny: deny}
}

func (e *env) post(t *testing.T, contentType, body string) (int, http.Header, map[string]string) {
	t.Helper()
	resp, err := http.Post(e.srv.URL+"/backchannel-logout", contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header, out
}

func (e *env) postToken(t *testing.T, token string) (int, map[string]string) {
	t.Helper()
	status, h, body := e.post(t, "application/x-www-form-urlencoded", url.Values{"logout_token": {token}}.Encode())
	if h.Get("Cache-Control") != "no-store" {
		t.Fatalf("answer %d without Cache-Control: no-store", status)
	}
	return status, body
}

func (e *env) me(t *testing.T, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (e *env) logoutToken(t *testing.T, sid, sub string, claims authtest.Claims, opts ...authtest.MintOption) string {
	t.Helper()
	tok, err := e.iss.MintLogoutToken(clientID, sid, sub, claims, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestBackChannelLogoutRevokesTheSession(t *testing.T) {
	e := newEnv(t)
	session := e.iss.MustMint(authtest.Claims{"sid": "s-1"})
	sameSession := e.iss.MustMint(authtest.Claims{"sid": "s-1"})
	other := e.iss.MustMint(authtest.Claims{"sid": "s-2"})
	for _, tok := range []string{session, sameSession, other} {
		if s := e.me(t, tok); s != 200 { // and cached
			t.Fatalf("before logout: %d", s)
		}
	}
	if status, body := e.postToken(t, e.logoutToken(t, "s-1", "", nil)); status != 200 {
		t.Fatalf("valid logout token: %d %v", status, body)
	}
	for _, tok := range []string{session, sameSession} {
		if s := e.me(t, tok); s != 401 {
			t.Fatalf("a token of the logged-out session answered %d, want 401", s)
		}
	}
	if s := e.me(t, other); s != 200 {
		t.Fatalf("another session answered %d after the logout", s)
	}
}

func TestBackChannelLogoutBySubjectRevokesTokensIssuedUntilThen(t *testing.T) {
	e := newEnv(t)
	old := e.iss.MustMint(authtest.Claims{"sub": "user-7"})
	if status, body := e.postToken(t, e.logoutToken(t, "", "user-7", nil)); status != 200 {
		t.Fatalf("logout by sub: %d %v", status, body)
	}
	if s := e.me(t, old); s != 401 {
		t.Fatalf("the user's earlier token answered %d, want 401", s)
	}
	if s := e.me(t, e.iss.MustMint(authtest.Claims{"sub": "user-8"})); s != 200 {
		t.Fatalf("another user's token answered %d", s)
	}
}

// The receiver's attack catalogue: each post is refused with 400
// invalid_request (JSON, no-store) and revokes nothing.
func TestBackChannelLogoutRefusesHostileTokens(t *testing.T) {
	e := newEnv(t)
	victim := e.iss.MustMint(authtest.Claims{"sid": "victim", "sub": "victim"})
	replayed := e.logoutToken(t, "s-replay", "", nil)
	if status, _ := e.postToken(t, replayed); status != 200 {
		t.Fatalf("first use of a logout token: %d", status)
	}
	forged := e.logoutToken(t, "victim", "", nil)
	forged = forged[:strings.LastIndexByte(forged, '.')+1] + "AAAA" + forged[strings.LastIndexByte(forged, '.')+5:]
	attacker := authtest.NewIssuer(authtest.WithKey(testkeys.KIDRSA, testkeys.AttackerRSA()))
	t.Cleanup(attacker.Close)
	byAttacker, err := attacker.MintLogoutToken(clientID, "victim", "", authtest.Claims{"iss": e.iss.URL()})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"bad signature":         forged,
		"signed by another key": byAttacker,
		"wrong aud":             e.logoutToken(t, "victim", "", authtest.Claims{"aud": "another-client"}),
		"wrong iss":             e.logoutToken(t, "victim", "", authtest.Claims{"iss": "https://evil.example"}),
		"no events":             e.logoutToken(t, "victim", "", authtest.Claims{"events": nil}),
		"events without the logout event": e.logoutToken(
			t,
			"victim",
			"",
			authtest.Claims{"events": map[string]any{"http://example.com/other": map[string]any{}}},
		),
		"logout event not an object": e.logoutToken(
			t,
			"victim",
			"",
			authtest.Claims{"events": map[string]any{authtest.BackChannelLogoutEvent: true}},
		),
		"events not an object": e.logoutToken(
			t,
			"victim",
			"",
			authtest.Claims{"events": []string{authtest.BackChannelLogoutEvent}},
		),
		"nonce present":     e.logoutToken(t, "victim", "", authtest.Claims{"nonce": "n-1"}),
		"no sub and no sid": e.logoutToken(t, "", "", nil),
		"no jti":            e.logoutToken(t, "victim", "", authtest.Claims{"jti": nil}),
		"no iat":            e.logoutToken(t, "victim", "", authtest.Claims{"iat": nil}),
		"iat too old": e.logoutToken(
			t,
			"victim",
			"",
			authtest.Claims{"iat": time.Now().Add(-time.Hour).Unix()},
		),
		"iat in the future": e.logoutToken(
			t,
			"victim",
			"",
			authtest.Claims{"iat": time.Now().Add(time.Hour).Unix()},
		),
		"expired": e.logoutToken(
			t,
			"victim",
			"",
			authtest.Claims{"exp": time.Now().Add(-time.Hour).Unix()},
		),
		"replayed jti":                  replayed,
		"access token posted as logout": e.iss.MustMint(authtest.Claims{"sid": "victim", "aud": clientID}),
		"at+jwt posted as logout": e.iss.MustMint(
			authtest.Claims{
				"sid":    "victim",
				"aud":    clientID,
				"events": map[string]any{authtest.BackChannelLogoutEvent: map[string]any{}},
			},
			authtest.WithHeader("typ", "at+jwt"),
		),
		"typ JWT":               e.logoutToken(t, "victim", "", nil, authtest.WithHeader("typ", "JWT")),
		"alg none":              e.logoutToken(t, "victim", "", nil, authtest.WithAlg("none")),
		"oversized":             strings.Repeat("A", backchannel.MaxBody),
		"not a JWT":             "not-a-jwt",
		"sid of the wrong type": e.logoutToken(t, "", "", authtest.Claims{"sid": 7, "sub": "victim"}),
	}
	for name, tok := range cases {
		status, body := e.postToken(t, tok)
		if status != 400 || body["error"] != "invalid_request" || body["error_description"] == "" {
			t.Errorf("%s: %d %v, want 400 invalid_request", name, status, body)
		}
	}
	if s := e.me(t, victim); s != 200 {
		t.Fatalf("a refused logout token revoked the victim's session: %d", s)
	}

	// Malformed requests.
	for name, req := range map[string]struct{ ct, body string }{
		"no logout_token":    {"application/x-www-form-urlencoded", "token=x"},
		"two logout_tokens":  {"application/x-www-form-urlencoded", "logout_token=a&logout_token=b"},
		"empty logout_token": {"application/x-www-form-urlencoded", "logout_token="},
		"bad escape":         {"application/x-www-form-urlencoded", "logout_token=%zz"},
		"JSON body":          {"application/json", `{"logout_token":"x"}`},
		"no content type":    {"", "logout_token=x"},
		"body over the limit": {
			"application/x-www-form-urlencoded",
			"logout_token=" + strings.Repeat("A", backchannel.MaxBody+1),
		},
	} {
		status, h, body := e.post(t, req.ct, req.body)
		if status != 400 || body["error"] != "invalid_request" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d %v", name, status, body)
		}
	}
	resp, err := http.Get(e.srv.URL + "/backchannel-logout")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("GET: %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// A logout token must never pass as an access token.
func TestLogoutTokenIsNotAnAccessToken(t *testing.T) {
	e := newEnv(t)
	lt := e.logoutToken(
		t,
		"s-9",
		"user-1",
		authtest.Claims{"aud": authcases.Audience, "exp": time.Now().Add(time.Hour).Unix()},
	)
	_, err := e.v.Verify(context.Background(), lt)
	var te *core.TokenError
	if !errors.As(err, &te) || te.Check != "typ" {
		t.Fatalf("a logout token as access token: %v, want refused by typ", err)
	}
	if s := e.me(t, lt); s != 401 {
		t.Fatalf("a logout token on /api/me: %d", s)
	}
}

// The fake issuer acts as a provider sending back-channel logout: its
// logout endpoint posts to the registered receiver before it answers.
func TestIssuerSendsBackChannelLogoutOnLogout(t *testing.T) {
	e := newEnv(t)
	e.iss.RegisterBackChannelLogout(e.srv.URL+"/backchannel-logout", clientID)
	session := e.iss.MustMint(authtest.Claims{"sid": "s-live", "sub": "user-5"})
	if s := e.me(t, session); s != 200 {
		t.Fatalf("before logout: %d", s)
	}
	req, _ := http.NewRequest(http.MethodPost, e.iss.URL()+"/v1/auth/logout", nil)
	req.Header.Set("Authorization", "Bearer "+session)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if delivered, failed := e.iss.BackChannelDeliveries(); delivered != 1 || failed != 0 {
		t.Fatalf("deliveries: %d ok, %d failed; want 1, 0", delivered, failed)
	}
	if s := e.me(t, session); s != 401 {
		t.Fatalf("after logout the session's token answered %d, want 401", s)
	}
}

func TestNewHandlerRefusesIncompleteConfig(t *testing.T) {
	e := newEnv(t)
	for name, cfg := range map[string]backchannel.Config{
		"no validator": {ClientID: clientID, Revoker: e.deny.Revoker()},
		"no client id": {Validator: e.v, Revoker: e.deny.Revoker()},
		"no revoker":   {Validator: e.v, ClientID: clientID},
	} {
		if _, err := backchannel.NewHandler(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
