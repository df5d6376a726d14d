package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
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
	iss := authtest.NewIssuer(
		authtest.WithAudience(cmp.Or(cfg.Audience, authtest.DefaultAudience)),
		// Like the app, it answers only requests meant for loopback.
		authtest.WithLoopbackHostsOnly(),
	)
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

// loopbackHostsOnly answers 421 Misdirected Request to every request whose
// Host is not a loopback name or address. Listening on 127.0.0.1 keeps
// other machines out, but not a web page in the developer's browser: DNS
// rebinding points the attacker's name at 127.0.0.1, and the page's
// requests then arrive here with that name as Host. Nothing that trusts a
// log-in-as-anyone issuer may answer them.
func loopbackHostsOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !authtest.LoopbackHost(r.Host) {
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusMisdirectedRequest)
			_, _ = io.WriteString(w, `{"error":"misdirected_request","error_description":"In dev mode only localhost, 127.0.0.0/8 and [::1] are served."}`+"\n")
			return
		}
		next.ServeHTTP(w, r)
	})
}
