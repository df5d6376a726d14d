package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/resourceserver"
	"github.com/identsphere/identsphere-go/resourceserver/devissuer"
)

// readyTimeout bounds the wait for every replica to be ready: keys from the
// issuer in this process, and every revocation read from the local Redis.
const readyTimeout = 10 * time.Second

// session is the sid of the printed token, which the logout ends.
const session = "fleet-session"

// announce waits until every replica is ready, so that the lines work the
// moment they show, then prints the ports, a token of session, a
// back-channel logout token for it, and the curl lines that show the
// logout, posted to the first replica, refused by all.
func announce(
	ctx context.Context,
	w io.Writer,
	redis *redisServer,
	iss *devissuer.Issuer,
	clientID string,
	fleet []*replica,
) error {
	if err := waitReady(ctx, fleet); err != nil {
		return err
	}
	token, err := iss.Mint(authtest.Claims{
		"sub":            authtest.SubjectFor(devissuer.Email),
		"email":          devissuer.Email,
		"email_verified": true,
		"org":            authtest.DevOrg,
		"scope":          "read admin",
		"sid":            session,
	})
	if err != nil {
		return fmt.Errorf("minting the token: %w", err)
	}
	logout, err := iss.MintLogoutToken(clientID, session, "", nil)
	if err != nil {
		return fmt.Errorf("minting the logout token: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(
		&b,
		"\nFLEET: redis-server, one development issuer that signs "+
			"tokens for anyone, and %d replicas that trust it.\n\n",
		len(fleet),
	)
	fmt.Fprintf(&b, "redis:     %s\nissuer:    %s\n", redis.addr, iss.URL())
	for _, r := range fleet {
		fmt.Fprintf(&b, "replica %d: %s\n", r.n, r.srv.URL())
	}
	fmt.Fprintf(&b, "user:      %s, session %s\n\n", devissuer.Email, session)
	b.WriteString("# A token of the session, and the logout token the provider sends when it ends:\n")
	fmt.Fprintf(&b, "TOKEN=%s\nLOGOUT=%s\n\n", token, logout)
	b.WriteString("# 1. The token passes on every replica (200):\n")
	for _, r := range fleet {
		fmt.Fprintf(&b, "curl -H \"Authorization: Bearer $TOKEN\" %s/api/me\n", r.srv.URL())
	}
	fmt.Fprintf(&b, "# 2. The provider logs the session out at replica %d (back-channel logout, 200):\n", fleet[0].n)
	fmt.Fprintf(&b, "curl -d \"logout_token=$LOGOUT\" %s%s\n", fleet[0].srv.URL(), resourceserver.BackChannelPath)
	b.WriteString("# 3. Every replica refuses the token now, through Redis (401):\n")
	for _, r := range fleet {
		fmt.Fprintf(&b, "curl -H \"Authorization: Bearer $TOKEN\" %s/api/me\n", r.srv.URL())
	}
	b.WriteString("\nCtrl-C stops everything.\n")
	_, err = io.WriteString(w, b.String())
	return err
}

// waitReady polls each replica's readiness until all are ready.
func waitReady(ctx context.Context, fleet []*replica) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for _, r := range fleet {
		for st := r.srv.Status(); !st.Ready; st = r.srv.Status() {
			select {
			case <-ctx.Done():
				return fmt.Errorf("replica %d not ready within %v: %s (%s)", r.n, readyTimeout, st.Status,
					strings.Join(st.NotReady, ", "))
			case <-tick.C:
			}
		}
	}
	return nil
}
