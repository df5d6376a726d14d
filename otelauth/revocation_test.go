package otelauth_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/otelauth"
)

// Every token looked up in the RevocationChecker is counted, cache hits
// and refusals included, and so are the still-valid tokens a full cache
// drops.
func TestRevocationChecksAndCacheEvictions(t *testing.T) {
	tel := newTelemetry(t)
	iss := authtest.Start(t)
	deny := core.NewDenylist(nil)
	v := iss.Validator(t, func(c *core.Config) {
		c.Observer = tel.obs
		c.Revocation = deny
		c.CacheSize = 1 // one entry per shard: 300 tokens must evict some
	})
	h := router(v, nil)
	revoked := iss.Token(t, authtest.Claims{"jti": "gone"})
	if err := deny.RevokeToken(iss.URL(), "gone", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if status, _ := serve(tel, h, iss.Request(t, http.MethodGet, "/api/me", nil)); status != http.StatusNoContent {
		t.Fatalf("a live token: %d", status)
	}
	r, _ := http.NewRequest(http.MethodGet, "/api/me", nil)
	r.Header.Set("Authorization", "Bearer "+revoked)
	if status, _ := serve(tel, h, r); status != http.StatusUnauthorized {
		t.Fatalf("a revoked token: %d", status)
	}
	for range 300 {
		serve(tel, h, iss.Request(t, http.MethodGet, "/api/me", nil))
	}
	ms := tel.collect(t)
	if got := count(t, ms, otelauth.MetricRevocationChecks, map[string]string{"issuer": iss.URL()}); got != 302 {
		t.Errorf("revocation checks: %d, want 302 (every token, the revoked one included)", got)
	}
	if got := count(t, ms, otelauth.MetricCacheEvictions, map[string]string{"issuer": iss.URL()}); got == 0 {
		t.Error("301 tokens through a cache of 256 one-entry shards: no eviction counted")
	}
}
