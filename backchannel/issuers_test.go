package backchannel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/backchannel"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/testkeys"
	"github.com/identsphere/identsphere-go/stdauth"
)

// newMultiEnv is a service that trusts two issuers (core.NewMulti), both
// revoking through one Denylist, with the receiver on /backchannel-logout.
func newMultiEnv(t *testing.T) (a, b *env) {
	t.Helper()
	issA := authtest.NewIssuer(
		authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithAudience(authcases.Audience),
	)
	issB := authtest.NewIssuer(
		authtest.WithKey(testkeys.KIDEC, testkeys.EC()),
		authtest.WithAudience(authcases.Audience),
	)
	t.Cleanup(issA.Close)
	t.Cleanup(issB.Close)
	deny := core.NewDenylist(nil)
	v, err := core.NewMulti(t.Context(), core.MultiConfig{Logger: authcases.Discard(), Issuers: []core.Config{
		{Issuer: issA.URL(), Audience: []string{authcases.Audience}, Revocation: deny},
		{Issuer: issB.URL(), Audience: []string{authcases.Audience}, Revocation: deny},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := v.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
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
	return &env{iss: issA, v: v, srv: srv, deny: deny}, &env{iss: issB, v: v, srv: srv, deny: deny}
}

// sid and sub are unique only per issuer: issuer B's logout ends B's
// session and B's user, never A's that bear the same sid and sub.
func TestLogoutOfOneIssuerSparesAnotherIssuersSameSessionAndUser(t *testing.T) {
	a, b := newMultiEnv(t)
	sessA, sessB := a.iss.MustMint(authtest.Claims{"sid": "s-1"}), b.iss.MustMint(authtest.Claims{"sid": "s-1"})
	userA, userB := a.iss.MustMint(authtest.Claims{"sub": "user-1"}), b.iss.MustMint(authtest.Claims{"sub": "user-1"})
	for _, tok := range []string{sessA, sessB, userA, userB} {
		if s := a.me(t, tok); s != 200 { // and cached
			t.Fatalf("before logout: %d", s)
		}
	}
	if status, body := b.postToken(t, b.logoutToken(t, "s-1", "", nil)); status != 200 {
		t.Fatalf("B's logout by sid: %d %v", status, body)
	}
	if status, body := b.postToken(t, b.logoutToken(t, "", "user-1", nil)); status != 200 {
		t.Fatalf("B's logout by sub: %d %v", status, body)
	}
	for name, tc := range map[string]struct {
		token string
		want  int
	}{
		"B's session": {sessB, 401}, "B's user": {userB, 401},
		"A's session with the same sid": {sessA, 200}, "A's user with the same sub": {userA, 200},
	} {
		if s := a.me(t, tc.token); s != tc.want {
			t.Errorf("%s answered %d after B's logout, want %d", name, s, tc.want)
		}
	}
}

// A jti is unique only per issuer: issuer B's logout token that bears the
// jti of one of A's already used is no replay.
func TestLogoutTokenReplayIsPerIssuer(t *testing.T) {
	a, b := newMultiEnv(t)
	same := authtest.Claims{"jti": "jti-1"}
	if status, body := a.postToken(t, a.logoutToken(t, "s-a", "", same)); status != 200 {
		t.Fatalf("A's logout: %d %v", status, body)
	}
	if status, body := b.postToken(t, b.logoutToken(t, "s-b", "", same)); status != 200 {
		t.Fatalf("B's logout with A's jti: %d %v, want 200", status, body)
	}
	if status, _ := a.postToken(t, a.logoutToken(t, "s-c", "", same)); status != 400 {
		t.Fatalf("A's jti again: %d, want 400", status)
	}
}
