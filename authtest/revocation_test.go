package authtest_test

import (
	"crypto/elliptic"
	"encoding/base64"
	"math/big"
	"net/http"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// malleate returns the twin of an ES256 token: the same header and payload
// with the signature (r, s) replaced by (r, n-s), which verifies as well.
func malleate(t *testing.T, token string) string {
	t.Helper()
	cut := strings.LastIndexByte(token, '.')
	sig, err := base64.RawURLEncoding.DecodeString(token[cut+1:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("not an ES256 signature: %v", err)
	}
	n := elliptic.P256().Params().N
	s := new(big.Int).Sub(n, new(big.Int).SetBytes(sig[32:]))
	twin := append(sig[:32:32], s.FillBytes(make([]byte, 32))...)
	return token[:cut+1] + base64.RawURLEncoding.EncodeToString(twin)
}

func TestRevokeCoversTheMalleatedTwinOfAnES256Token(t *testing.T) {
	iss := authtest.NewIssuer(authtest.WithKey(testkeys.KIDEC, testkeys.EC()))
	defer iss.Close()
	id, secret := authtest.IntrospectionClientID, authtest.IntrospectionClientSecret

	token := iss.MustMint(nil)
	twin := malleate(t, token)
	if twin == token {
		t.Fatal("the twin is the token itself")
	}
	if _, body := introspect(t, iss, twin, id, secret); body["active"] != true {
		t.Fatalf("the twin of a live token introspected as %v; it must verify like the token", body)
	}
	iss.Revoke(token)
	for name, tok := range map[string]string{"token": token, "twin": twin} {
		if _, body := introspect(t, iss, tok, id, secret); body["active"] != false {
			t.Errorf("revoked %s introspected as %v", name, body)
		}
	}
	if _, body := introspect(t, iss, iss.MustMint(nil), id, secret); body["active"] != true {
		t.Fatalf("another token of the issuer introspected as %v after one was revoked", body)
	}
}

// logout posts to the issuer's logout endpoint with the token in the
// Authorization header or in the session cookie.
func logout(t *testing.T, iss *authtest.Issuer, token string, asCookie bool) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, iss.URL()+"/v1/auth/logout", nil)
	if asCookie {
		req.AddCookie(&http.Cookie{Name: authtest.CookieName, Value: token})
	} else {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("logout answered %d", resp.StatusCode)
	}
}

func TestLogoutRevokesTheSessionOfABearerOrCookieToken(t *testing.T) {
	id, secret := authtest.IntrospectionClientID, authtest.IntrospectionClientSecret
	for _, asCookie := range []bool{false, true} {
		iss := authtest.NewIssuer(authtest.WithKey(testkeys.KIDEC, testkeys.EC()))
		session := iss.MustMint(authtest.Claims{"sid": "session-1"})
		sameSession := iss.MustMint(authtest.Claims{"sid": "session-1"})
		otherSession := iss.MustMint(authtest.Claims{"sid": "session-2"})
		twin := malleate(t, session)

		logout(t, iss, session, asCookie)
		for name, tok := range map[string]string{"token": session, "twin": twin, "same session": sameSession} {
			if _, body := introspect(t, iss, tok, id, secret); body["active"] != false {
				t.Errorf("cookie=%v: %s introspected as %v after logout", asCookie, name, body)
			}
		}
		if _, body := introspect(t, iss, otherSession, id, secret); body["active"] != true {
			t.Errorf("cookie=%v: another session introspected as %v", asCookie, body)
		}
		iss.Close()
	}
}
