// Package devissuer runs the development issuer a resourceserver trusts in
// dev mode: an embedded authtest issuer on loopback, with a fresh key that
// dies with the process, that logs in anyone with any password. It is a
// package of its own so that a production binary, which imports
// resourceserver, does not link the fake issuer in unless it asks for dev
// mode by importing this.
//
// Several replicas can share one development issuer: start it once (the
// fleet command does), and give each replica its URL as IDENTSPHERE_URL
// and its audience as IDENTSPHERE_AUDIENCE, rather than letting each start
// its own, whose tokens the others refuse.
package devissuer

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/resourceserver"
)

// Email is the user the ready token speaks for. Logging in through
// /v1/auth/login with this email (any password) gives the same sub.
const Email = "dev@example.com"

// readyTimeout bounds the wait for the development issuer's keys, which
// are served from this very process and arrive within milliseconds.
const readyTimeout = 5 * time.Second

// Issuer is a running development issuer.
type Issuer struct {
	*authtest.Issuer
}

// Start starts a development issuer and points cfg at it: its URL, its
// audience (cfg.Audience when set), and, unless cfg has them, the
// introspection credentials it accepts. Close it when the service stops.
func Start(cfg *resourceserver.Config) *Issuer {
	iss := authtest.NewIssuer(
		authtest.WithAudience(cmp.Or(cfg.Audience, authtest.DefaultAudience)),
		// Like the service, it answers only requests meant for loopback.
		authtest.WithLoopbackHostsOnly(),
	)
	cfg.ClientID = cmp.Or(cfg.ClientID, authtest.IntrospectionClientID)
	cfg.ClientSecret = cmp.Or(cfg.ClientSecret, authtest.IntrospectionClientSecret)
	cfg.Issuer, cfg.Audience = iss.URL(), iss.Audience()
	return &Issuer{Issuer: iss}
}

// Token mints a token that passes every route of the starters: Email's,
// scope "read admin", email verified.
func (i *Issuer) Token() (string, error) {
	token, err := i.Mint(authtest.Claims{
		"sub":            authtest.SubjectFor(Email),
		"email":          Email,
		"email_verified": true,
		"org":            authtest.DevOrg,
		"scope":          "read admin",
	})
	if err != nil {
		return "", fmt.Errorf("minting the dev token: %w", err)
	}
	return token, nil
}

// Announce makes the issuer act as a provider with back-channel logout
// towards srv (its /v1/auth/logout tells srv at once), waits until srv can
// check tokens, so that the curl line works the moment it shows, and then
// prints the banner to w: the issuer, srv's URL, a ready token and a curl
// line, and the login whose token passes srv's step-up routes. Printing the
// token is the point of dev mode; it goes to w (stdout), never into the logs.
// ctx bounds the wait.
func (i *Issuer) Announce(ctx context.Context, w io.Writer, srv *resourceserver.Server) error {
	if id := srv.ClientID(); id != "" {
		i.RegisterBackChannelLogout(srv.URL()+resourceserver.BackChannelPath, id)
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := srv.Validator().WaitReady(ctx); err != nil {
		return err
	}
	token, err := i.Token()
	if err != nil {
		return err
	}
	appURL, stepUp := srv.URL(), srv.StepUp()
	_, err = fmt.Fprintf(w, `
DEV MODE: an embedded development issuer that signs tokens for anyone.
Set IDENTSPHERE_URL and IDENTSPHERE_AUDIENCE to use a real issuer.

issuer: %s
app:    %s
token:  %s
        (%s, scope "read admin", email verified, expires %s)

curl -H "Authorization: Bearer %s" %s/api/me

A step-up route (acr %s, a login within %v) takes the token of this login:
curl -H "Content-Type: application/json" -d '{"email":"%s","password":"any","acr_values":"%s"}' %s/v1/auth/login

`, i.URL(), appURL, token, Email, time.Now().Add(authtest.DefaultTokenTTL).Format(time.TimeOnly), token, appURL,
		strings.Join(stepUp.ACR, " or "), stepUp.MaxAge, Email, strings.Join(stepUp.ACR, " "), appURL)
	return err
}
