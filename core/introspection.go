package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/identsphere/identsphere-go/internal/strictjson"
)

// FreshnessChecker decides whether a locally valid token is still live at
// the identity provider. The adapters' RequireFresh puts one in front of a
// route. *Introspector is the implementation for RFC 7662.
type FreshnessChecker interface {
	CheckFresh(ctx context.Context, token string, c *Claims) error
}

// Defaults of IntrospectionConfig.
const (
	DefaultIntrospectionCacheTTL = 5 * time.Second
	DefaultIntrospectionTimeout  = 2 * time.Second
	maxIntrospectionEntries      = 16384
)

// IntrospectionConfig configures NewIntrospector. A token is introspected
// only at the endpoint of the issuer that admitted it, with that issuer's
// credentials: with one issuer (core.New), Endpoint, ClientID and
// ClientSecret are its; with several (NewMulti), Issuer names the one they
// belong to, and Issuers lists the others. A token from an issuer with
// neither is answered as if its endpoint could not be reached (503, or
// admitted under FailOpen), with one error log naming the issuer.
type IntrospectionConfig struct {
	// Issuer is the issuer Endpoint, ClientID and ClientSecret belong to.
	// Default: the Validator's issuer, when it has only one; required with
	// NewMulti when those fields are set.
	Issuer string
	// Endpoint is the introspection endpoint. Default: the
	// introspection_endpoint of the issuer's discovery document.
	Endpoint string
	// ClientID and ClientSecret authenticate this service to the endpoint
	// (client_secret_basic, RFC 6749 section 2.3.1).
	ClientID, ClientSecret string
	// Issuers are the endpoints and credentials of further issuers, one
	// entry each, for a Validator of several issuers (NewMulti).
	Issuers []IntrospectionClient
	// CacheTTL is how long an "active" answer is reused. Default 5s; never
	// past the token's exp. An "inactive" answer is kept until exp: a
	// revoked token stays revoked.
	CacheTTL time.Duration
	// Timeout bounds one introspection call. Default 2s.
	Timeout time.Duration
	// FailOpen accepts tokens while the endpoint cannot be reached. The
	// default refuses them with 503: the route asked for a fresh answer.
	FailOpen bool
	// HTTPClient makes the calls. Default: a client with keep-alives and
	// the same response cap and redirect rules as key fetches.
	HTTPClient *http.Client
}

// Introspector is a FreshnessChecker that asks the identity provider
// whether a token is still active (RFC 7662). Answers are cached briefly,
// and concurrent checks of one token share a single call.
type Introspector struct {
	v      *Validator
	cfg    IntrospectionConfig
	client *http.Client
	flight singleflight.Group

	cache   answerCache[bool]              // active or not
	clients map[string]IntrospectionClient // by issuer

	misconfigured misconfiguration
	unconfigured  unconfiguredIssuers
}

var _ FreshnessChecker = (*Introspector)(nil)

// NewIntrospector returns an Introspector for tokens that v verifies.
func NewIntrospector(v *Validator, cfg IntrospectionConfig) (*Introspector, error) {
	if cfg.Endpoint != "" {
		if err := checkURL(cfg.Endpoint, v.cfg.AllowInsecureHTTP); err != nil {
			return nil, fmt.Errorf("identsphere: IntrospectionConfig.Endpoint: %w", err)
		}
	}
	clients, err := introspectionClients(v, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.CacheTTL < 0 || cfg.Timeout < 0 {
		return nil, errors.New("identsphere: IntrospectionConfig durations must not be negative")
	}
	cfg.CacheTTL = positiveOr(cfg.CacheTTL, DefaultIntrospectionCacheTTL)
	cfg.Timeout = positiveOr(cfg.Timeout, DefaultIntrospectionTimeout)
	client := cfg.HTTPClient
	if client == nil {
		c := v.cfg
		c.HTTPTimeout = cfg.Timeout
		client = newIssuerClient(c)
		keepAlive(client)
	} else {
		c := v.cfg
		c.HTTPClient = client
		client = newIssuerClient(c)
	}
	return &Introspector{v: v, cfg: cfg, client: client, clients: clients}, nil
}

// CheckFresh implements FreshnessChecker: nil when the token is active, an
// invalid-token error when the provider says it is not, and
// ErrRevocationUnavailable when the provider cannot say (unless FailOpen).
func (in *Introspector) CheckFresh(ctx context.Context, token string, c *Claims) error {
	digest := tokenDigest(token)
	now := in.v.cfg.Now()
	active, ok := in.cache.get(digest, now)
	if !ok {
		ch := in.flight.DoChan(string(digest[:]), func() (any, error) {
			// Detached from the first caller: its cancellation must not
			// fail the others waiting on the same call.
			callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), in.cfg.Timeout)
			defer cancel()
			active, err := in.introspect(callCtx, token, c.AdmittedBy)
			if err != nil {
				return nil, err
			}
			until := c.ExpiresAt
			if active {
				until = minTime(until, now.Add(in.cfg.CacheTTL))
			}
			in.cache.put(digest, active, until, now)
			return active, nil
		})
		select {
		case <-ctx.Done():
			// The caller gave up (a client that hung up, a deadline): that
			// says nothing about the endpoint, so FailOpen does not apply
			// and the request is refused, never let through.
			return fmt.Errorf("%w: introspection: %w", ErrRevocationUnavailable, ctx.Err())
		case res := <-ch:
			if res.Err != nil {
				return in.unavailable(res.Err)
			}
			active = res.Val.(bool)
		}
	}
	if !active {
		return tokenErr(CheckActive, "the token is no longer active", nil)
	}
	return nil
}

func (in *Introspector) unavailable(err error) error {
	if in.cfg.FailOpen {
		in.v.cfg.Logger.Warn("identsphere: introspection failed; accepting the token (FailOpen)", "error", err)
		return nil
	}
	return fmt.Errorf("%w: introspection: %w", ErrRevocationUnavailable, err)
}

// keepAlive turns keep-alives back on in a client made by newIssuerClient:
// introspection makes a call per fresh request, so connections are reused.
func keepAlive(client *http.Client) {
	if t, ok := client.Transport.(*cappedTransport); ok {
		if base, ok := t.base.(*http.Transport); ok {
			base.DisableKeepAlives = false
		}
	}
}

// introspect makes one RFC 7662 call. Only a JSON boolean true in "active"
// counts as active; see readIntrospection for the rest.
func (in *Introspector) introspect(ctx context.Context, token, admittedBy string) (bool, error) {
	is := in.v.issuerNamed(admittedBy)
	if is != nil {
		admittedBy = is.cfg.Issuer // the only issuer of a Validator from New
	}
	client, ok := in.clients[admittedBy]
	if !ok || is == nil {
		err := &errNoIntrospectionClient{issuer: admittedBy}
		in.unconfigured.report(ctx, in.v.cfg.Logger, in.v.cfg.Observer, err)
		return false, err
	}
	endpoint := client.Endpoint
	if endpoint == "" {
		if loaded := is.keys.keys.Load(); loaded != nil {
			endpoint = loaded.introspection
		}
	}
	ctx, end := in.v.cfg.Observer.Start(ctx, OpIntrospection, is.cfg.Issuer)
	body, err := postIntrospection(ctx, in.client, endpoint, client.ClientID, client.ClientSecret, token)
	if err != nil {
		end(err)
		in.misconfigured.report(ctx, in.v.cfg.Logger, in.v.cfg.Observer, err)
		return false, err
	}
	active, err := in.readIntrospection(body, is)
	end(err)
	return active, err
}

// errNoIntrospectionEndpoint: nothing configured, nothing discovered. A
// route that needs introspection can never pass until it is fixed.
var errNoIntrospectionEndpoint = errors.New(
	"no introspection endpoint: none configured (IntrospectionConfig.Endpoint; IDENTSPHERE_INTROSPECTION_URL in the " +
		"starters) and the issuer's discovery document advertises none",
)

// introspectionStatusError is an answer other than 200 from the endpoint.
type introspectionStatusError struct{ code int }

func (e *introspectionStatusError) Error() string {
	if e.code == http.StatusUnauthorized || e.code == http.StatusForbidden {
		return fmt.Sprintf(
			"the introspection endpoint refused this service's client credentials (%d): check "+
				"IntrospectionConfig.ClientID and ClientSecret (IDENTSPHERE_CLIENT_ID "+
				"and IDENTSPHERE_CLIENT_SECRET in the starters)",
			e.code,
		)
	}
	return fmt.Sprintf("introspection endpoint answered %d", e.code)
}

// misconfiguration reports, once, at error level, an introspection failure
// that no retry can fix (no endpoint, client credentials refused): unlike
// an outage, it needs an operator, and "try again later" answers alone
// would hide it.
type misconfiguration struct{ once sync.Once }

func (m *misconfiguration) report(ctx context.Context, log *slog.Logger, obs Observer, err error) {
	var status *introspectionStatusError
	if errors.Is(err, errNoIntrospectionEndpoint) ||
		errors.As(err, &status) && (status.code == http.StatusUnauthorized || status.code == http.StatusForbidden) {
		m.once.Do(func() {
			log.ErrorContext(
				ctx,
				"identsphere: introspection cannot work until its configuration is fixed; fresh routes answer 503",
				"error",
				err,
			)
			obs.Happened(ctx, Event{Kind: EventIntrospectionMisconfigured, Err: err})
		})
	}
}

// postIntrospection makes one RFC 7662 call with client_secret_basic and
// returns the answer's body (capped by the client's transport).
func postIntrospection(
	ctx context.Context,
	client *http.Client,
	endpoint, clientID, clientSecret, token string,
) ([]byte, error) {
	if endpoint == "" {
		return nil, errNoIntrospectionEndpoint
	}
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if clientID != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(clientSecret))
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil, &introspectionStatusError{resp.StatusCode}
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the introspection response: %w", err)
	}
	return body, nil
}

// readIntrospection reads an RFC 7662 answer with the same strict reader as
// token claims: one JSON object, no duplicate members, names compared byte
// for byte, nothing after it. "active" must be a JSON boolean; an answer
// that says active but names an audience (aud) of which none is the
// Validator's is about a token for another service, and one that names
// another issuer (iss) about another issuer's token: both are refused. A
// malformed answer is an endpoint failure, not an "inactive" verdict.
func (in *Introspector) readIntrospection(body []byte, is *issuer) (bool, error) {
	var active, hasActive bool
	var aud []string
	hasAud := false
	iss, hasIss := "", false
	err := strictjson.Members(body, func(key, value []byte) error {
		switch string(key) {
		case "iss":
			if iss, hasIss = strictjson.String(value); !hasIss {
				return errors.New(`"iss" is not a string`)
			}
		case "active":
			switch string(value) {
			case "true":
				active = true
			case "false":
				active = false
			default:
				return errors.New(`"active" is not a JSON boolean`)
			}
			hasActive = true
		case "aud":
			var ok bool
			if aud, ok = jsonAudience(value); !ok {
				return errors.New(`"aud" is neither a string nor an array of strings`)
			}
			hasAud = true
		}
		return nil
	})
	switch {
	case err != nil:
		return false, fmt.Errorf("malformed introspection response: %w", err)
	case !hasActive:
		return false, errors.New(`malformed introspection response: no "active" member`)
	case active && hasAud && is != nil && !is.cfg.SkipAudienceCheck && !containsAny(aud, is.cfg.Audience):
		return false, nil
	case active && hasIss && is != nil && iss != is.cfg.Issuer && !slices.Contains(is.cfg.IssuerAliases, iss):
		return false, nil // an answer about another issuer's token
	}
	return active, nil
}

// containsAny reports whether list holds at least one of want.
func containsAny(list, want []string) bool {
	for _, w := range want {
		if slices.Contains(list, w) {
			return true
		}
	}
	return false
}

// Close releases the Introspector's idle connections.
func (in *Introspector) Close() error {
	closeIdle(in.client)
	return nil
}
