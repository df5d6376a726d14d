package core_test

import (
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// refreshOnEveryUnknownKID makes every token naming an unknown kid refresh
// the keys, and its request wait for that refresh to end, whatever the load
// on the machine. The limiter's interval (1ns) has always passed by the next
// request, since that comes after the previous refresh ended (a round trip
// to the issuer); an interval of milliseconds can be longer than the time
// between two refreshes on a fast machine and gets refused. The wait (a
// minute) only bounds a broken test: a shorter one can end before a loaded
// machine has even sent the request, and the test then counts no fetch or
// reads logs the refresh has not written yet.
func refreshOnEveryUnknownKID(c *core.Config) {
	c.UnknownKIDRefreshInterval = time.Nanosecond
	c.UnknownKIDWait = time.Minute
}

// refresh makes v fetch the JWKS now, through an unknown-kid miss, and
// returns once the refresh has ended. v's Config must have gone through
// refreshOnEveryUnknownKID.
func refresh(t *testing.T, v *core.Validator, iss *authtest.Issuer) {
	t.Helper()
	before := iss.JWKSFetches()
	_, _ = v.Verify(t.Context(), iss.MustMint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), "refresh-please")))
	if iss.JWKSFetches() == before {
		t.Fatal("no refresh happened")
	}
}

// waitUntil polls cond until it holds, for what happens in the background
// and has no event to wait on. The bound (30s) only fails a broken test;
// a working one never nears it, however loaded the machine.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 30s: %s", what)
		}
		time.Sleep(time.Millisecond) // polling, bounded by the deadline
	}
}

// loadFailure waits for v's first key load to fail and returns what
// WaitReady says then, which names the cause. Calling WaitReady with a
// short timeout instead races the load: on a busy machine the timeout can
// end first, before any cause is known.
func loadFailure(t *testing.T, v *core.Validator) error {
	t.Helper()
	waitUntil(t, "a key load fails", func() bool { return v.Status().Issuers[0].LastError != "" })
	return v.WaitReady(doneContext())
}
