package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
)

// devEmail is the user the ready token speaks for. Logging in through
// /v1/auth/login with this email (any password) gives the same sub.
const devEmail = "dev@example.com"

// devReadyTimeout bounds the wait for the dev issuer's keys, which are
// served from this very process and arrive within milliseconds.
const devReadyTimeout = 5 * time.Second

// startDevIssuer starts the embedded development issuer, with a fresh key
// that dies with the process, and points cfg at it.
func startDevIssuer(cfg *config) *authtest.Issuer {
	iss := authtest.NewIssuer(authtest.WithAudience(cmp.Or(cfg.Audience, authtest.DefaultAudience)))
	cfg.ClientID = cmp.Or(cfg.ClientID, authtest.IntrospectionClientID)
	cfg.ClientSecret = cmp.Or(cfg.ClientSecret, authtest.IntrospectionClientSecret)
	cfg.IssuerURL, cfg.Audience = iss.URL(), iss.Audience()
	return iss
}

// printBanner waits until the service can check tokens, so that the curl
// line works the moment it shows, then prints it with a token that passes
// every route. Printing the token is the point of dev mode; it goes to
// stdout, never into the logs.
func printBanner(ctx context.Context, w io.Writer, iss *authtest.Issuer, v *core.Validator, appURL string) error {
	ctx, cancel := context.WithTimeout(ctx, devReadyTimeout)
	defer cancel()
	if err := v.WaitReady(ctx); err != nil {
		return err
	}
	token, err := iss.Mint(authtest.Claims{
		"sub":            authtest.SubjectFor(devEmail),
		"email":          devEmail,
		"email_verified": true,
		"org":            authtest.DevOrg,
		"scope":          "read admin",
	})
	if err != nil {
		return fmt.Errorf("minting the dev token: %w", err)
	}
	_, err = fmt.Fprintf(w, `
DEV MODE: an embedded development issuer that signs tokens for anyone.
Set IDENTSPHERE_URL and IDENTSPHERE_AUDIENCE to use a real issuer.

issuer: %s
app:    %s
token:  %s
        (%s, scope "read admin", email verified, expires %s)

curl -H "Authorization: Bearer %s" %s/api/me

`, iss.URL(), appURL, token, devEmail, time.Now().Add(authtest.DefaultTokenTTL).Format(time.TimeOnly), token, appURL)
	return err
}
