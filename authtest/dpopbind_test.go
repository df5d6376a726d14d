package authtest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/stdauth"
)

// A login that names a DPoP key's thumbprint gets tokens bound to it: they
// work with that key's proofs, not as Bearer tokens; a malformed
// thumbprint is refused.
func TestLoginWithDPoPJKTBindsTheSession(t *testing.T) {
	iss := authtest.NewIssuer()
	defer iss.Close()
	key := authtest.NewDPoPKey(t)
	login := func(body string) (int, string) {
		resp, err := http.Post(iss.URL()+"/v1/auth/login", "application/json", bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			AccessToken string `json:"access_token"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out.AccessToken
	}
	status, token := login(`{"email":"ada@example.com","password":"x","dpop_jkt":"` + key.Thumbprint() + `"}`)
	if status != 200 || token == "" {
		t.Fatalf("login with dpop_jkt: %d", status)
	}
	malformed := `{"email":"ada@example.com","password":"x","dpop_jkt":"not-a-thumbprint"}`
	if status, _ := login(malformed); status != http.StatusBadRequest {
		t.Fatalf("a malformed dpop_jkt: %d, want 400", status)
	}

	v := iss.Validator(t)
	const base = "https://api.example.com"
	h := stdauth.Middleware(
		v,
		withDPoP(t, core.DPoPConfig{Mode: core.DPoPAllowed, PublicURL: base}),
	)(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
	)
	do := func(r *http.Request) int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	withProof := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	withProof.Header.Set("Authorization", "DPoP "+token)
	withProof.Header.Set("DPoP", key.Proof(http.MethodGet, base+"/api/me", token))
	if got := do(withProof); got != 200 {
		t.Fatalf("the bound session token with its key's proof: %d", got)
	}
	asBearer := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	asBearer.Header.Set("Authorization", "Bearer "+token)
	if got := do(asBearer); got != 401 {
		t.Fatalf("the bound session token as Bearer: %d, want 401", got)
	}
}
