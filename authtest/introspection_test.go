package authtest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
)

func introspect(t *testing.T, iss *authtest.Issuer, token, id, secret string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(
		http.MethodPost,
		iss.IntrospectionURL(),
		strings.NewReader(url.Values{"token": {token}}.Encode()),
	)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestIntrospection(t *testing.T) {
	iss := authtest.NewIssuer()
	defer iss.Close()
	id, secret := authtest.IntrospectionClientID, authtest.IntrospectionClientSecret

	token := iss.MustMint(authtest.Claims{"sub": "u-1"})
	if status, body := introspect(t, iss, token, id, secret); status != 200 || body["active"] != true ||
		body["sub"] != "u-1" {
		t.Fatalf("live token: %d %v", status, body)
	}
	if status, _ := introspect(t, iss, token, id, "wrong"); status != http.StatusUnauthorized {
		t.Fatalf("wrong client secret: %d, want 401", status)
	}
	forged := iss.MustMint(nil, authtest.WithAlg("none"))
	if _, body := introspect(t, iss, forged, id, secret); body["active"] != false {
		t.Fatalf("unsigned token introspected as %v", body)
	}

	iss.Revoke(token)
	if _, body := introspect(t, iss, token, id, secret); body["active"] != false {
		t.Fatalf("revoked token introspected as %v", body)
	}

	// Logout revokes the session's token.
	session := iss.MustMint(nil)
	req, _ := http.NewRequest(http.MethodPost, iss.URL()+"/v1/auth/logout", nil)
	req.AddCookie(&http.Cookie{Name: authtest.CookieName, Value: session})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, body := introspect(t, iss, session, id, secret); resp.StatusCode != 200 || body["active"] != false {
		t.Fatalf("after logout (%d) the session token introspected as %v", resp.StatusCode, body)
	}
	if n := iss.IntrospectionRequests(); n != 5 {
		t.Fatalf("%d introspection requests counted, want 5", n)
	}
}
