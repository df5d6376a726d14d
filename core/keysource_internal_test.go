package core

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// While keys are unavailable, clients are told Retry-After:
// KeysRetryAfterSeconds, whose doc promises the loader tries again at least
// that often. Every backoff step, however many attempts failed, keeps that
// promise, and the header says exactly that.
func TestLoadRetriesAtLeastAsOftenAsRetryAfterSays(t *testing.T) {
	limit := KeysRetryAfterSeconds * time.Second
	longest := time.Duration(0)
	for n := range 64 {
		for range 20 { // the jitter is random: sample it
			d := retryDelay(n)
			if d <= 0 || d > limit {
				t.Fatalf("retry %d waits %v, want within (0, %v]", n, d, limit)
			}
			longest = max(longest, d)
		}
	}
	if longest < limit*4/5 {
		t.Fatalf("the backoff never reaches %v (longest %v): it no longer backs off", limit*4/5, longest)
	}
	r := NewErrorResponse(ErrKeysUnavailable, DefaultRealm)
	if r.Status != http.StatusServiceUnavailable || r.RetryAfter != strconv.Itoa(KeysRetryAfterSeconds) {
		t.Fatalf("answer %d, Retry-After %q; want 503 and %d", r.Status, r.RetryAfter, KeysRetryAfterSeconds)
	}
}
