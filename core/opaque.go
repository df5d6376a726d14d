package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/identsphere/identsphere-go/internal/strictjson"
)

// Defaults of OpaqueConfig.
const (
	DefaultOpaqueCacheTTL       = 30 * time.Second
	DefaultOpaqueMaxConcurrency = 32
)

// OpaqueConfig configures NewOpaqueVerifier.
type OpaqueConfig struct {
	// Issuer is the provider's issuer identifier, required: ClientID and
	// ClientSecret are this issuer's, sent only to its endpoint (Endpoint,
	// or the one its discovery document names), and an answer that names
	// an iss must name this one (or one of IssuerAliases). An opaque token
	// does not say its issuer, so one OpaqueVerifier serves one issuer.
	Issuer        string
	IssuerAliases []string

	// Endpoint is the RFC 7662 introspection endpoint. Default: the
	// introspection_endpoint of the issuer's discovery document, looked up
	// on first use.
	Endpoint string

	// ClientID and ClientSecret authenticate this service to the endpoint
	// (client_secret_basic).
	ClientID, ClientSecret string

	// Audience lists the accepted audiences: an answer's aud must contain
	// one of them; an answer without aud is refused. Required unless
	// SkipAudienceCheck.
	Audience          []string
	SkipAudienceCheck bool

	// CacheTTL is how long an answer is reused, never past the token's
	// exp. Default 30s: a revoked token keeps working for at most this long.
	CacheTTL time.Duration

	// Timeout bounds one introspection call. Default 2s.
	Timeout time.Duration

	// MaxConcurrency caps the calls in flight, so that a flood of junk
	// tokens (each one unknown, so each one a call) cannot be amplified
	// into a flood at the provider. A request that finds every slot taken
	// waits at most Timeout, then is answered 503. Default 32.
	MaxConcurrency int

	// MaxTokenSize caps a token before any call. Default DefaultMaxTokenSize.
	MaxTokenSize int

	// Rules are application rules run on every admitted token.
	Rules []Rule

	// HTTPClient makes the calls; AllowInsecureHTTP allows http:// URLs off
	// loopback. As in Config.
	HTTPClient        *http.Client
	AllowInsecureHTTP bool

	// Logger receives configuration errors (no token, no secret). Default
	// slog.Default().
	Logger *slog.Logger

	// Observer times each introspection call (OpIntrospection) and hears of
	// a misconfigured endpoint. Default: none.
	Observer Observer

	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// OpaqueVerifier is a TokenVerifier for opaque (non-JWT) access tokens: it
// asks the provider's RFC 7662 introspection endpoint about each token, so
// a provider whose default tokens are opaque works with the same adapters.
// Answers are cached (CacheTTL), concurrent checks of one token share one
// call, and the answer is read as strictly as a JWT's claims: `active` a
// JSON boolean, no duplicate members, iss and aud checked, a refresh token
// refused. The Claims it returns are built from the answer (sub, scope,
// aud, exp, client_id, ...; Decode reads the whole answer); ExpiresAt is
// zero when the answer gives no exp.
//
// When the endpoint cannot answer, requests are refused with 503
// (ErrRevocationUnavailable): there is no local fallback for an opaque
// token.
type OpaqueVerifier struct {
	cfg       OpaqueConfig
	client    *http.Client
	flight    singleflight.Group
	slots     chan struct{}
	discovery singleflight.Group

	cache answerCache[*Claims] // nil claims: inactive

	mu       sync.Mutex
	endpoint string // discovered

	misconfigured misconfiguration
}

var _ TokenVerifier = (*OpaqueVerifier)(nil)

// NewOpaqueVerifier checks cfg and returns an OpaqueVerifier. It does no
// network I/O.
func NewOpaqueVerifier(cfg OpaqueConfig) (*OpaqueVerifier, error) {
	var errs []error
	if cfg.Issuer == "" {
		errs = append(
			errs,
			errors.New(
				"identsphere: OpaqueConfig.Issuer is required: it binds ClientID and ClientSecret to one issuer, "+
					"whose endpoint alone receives them and whose iss its answers must name",
			),
		)
	}
	for _, u := range []struct{ name, url string }{{"Issuer", cfg.Issuer}, {"Endpoint", cfg.Endpoint}} {
		if u.url != "" {
			if err := checkURL(u.url, cfg.AllowInsecureHTTP); err != nil {
				errs = append(errs, fmt.Errorf("identsphere: OpaqueConfig.%s: %w", u.name, err))
			}
		}
	}
	if len(cfg.Audience) == 0 && !cfg.SkipAudienceCheck {
		errs = append(errs, errors.New("identsphere: OpaqueConfig.Audience is required (or set SkipAudienceCheck)"))
	}
	if cfg.CacheTTL < 0 || cfg.Timeout < 0 || cfg.MaxConcurrency < 0 {
		errs = append(errs, errors.New("identsphere: OpaqueConfig durations and limits must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cfg.CacheTTL = positiveOr(cfg.CacheTTL, DefaultOpaqueCacheTTL)
	cfg.Timeout = positiveOr(cfg.Timeout, DefaultIntrospectionTimeout)
	cfg.MaxConcurrency = positiveOr(cfg.MaxConcurrency, DefaultOpaqueMaxConcurrency)
	cfg.MaxTokenSize = positiveOr(cfg.MaxTokenSize, DefaultMaxTokenSize)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	cfg.Audience = slices.Clone(cfg.Audience)
	cfg.IssuerAliases = slices.Clone(cfg.IssuerAliases)
	cfg.Rules = slices.Clone(cfg.Rules)
	client := newIssuerClient(
		Config{
			HTTPClient:        cfg.HTTPClient,
			HTTPTimeout:       cfg.Timeout,
			MaxResponseBytes:  DefaultMaxResponseBytes,
			AllowInsecureHTTP: cfg.AllowInsecureHTTP,
		},
	)
	if cfg.HTTPClient == nil {
		keepAlive(client)
	}
	return &OpaqueVerifier{
		cfg:    cfg,
		client: client,
		slots:  make(chan struct{}, cfg.MaxConcurrency),
	}, nil
}

// Verify implements TokenVerifier.
func (o *OpaqueVerifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if len(token) > o.cfg.MaxTokenSize {
		return nil, tokenErr(CheckSize, "the token is too large", nil)
	}
	digest := tokenDigest(token)
	now := o.cfg.Now()
	claims, ok := o.cache.get(digest, now)
	if !ok {
		ch := o.flight.DoChan(string(digest[:]), func() (any, error) {
			// Detached from the first caller, as in Introspector.
			callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.cfg.Timeout)
			defer cancel()
			return o.introspect(callCtx, token, digest)
		})
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: introspection: %w", ErrRevocationUnavailable, ctx.Err())
		case res := <-ch:
			if res.Err != nil {
				return nil, fmt.Errorf("%w: introspection: %w", ErrRevocationUnavailable, res.Err)
			}
			claims = res.Val.(*Claims)
		}
	}
	if claims == nil {
		return nil, tokenErr(CheckActive, "the token is not active", nil)
	}
	if !claims.ExpiresAt.IsZero() && !now.Before(claims.ExpiresAt) {
		return nil, tokenErr(CheckExp, "the token has expired", nil)
	}
	own := *claims
	if err := CheckRules(ctx, &own, o.cfg.Rules...); err != nil {
		return nil, err
	}
	return &own, nil
}

// introspect makes one call, within MaxConcurrency, and caches its answer.
func (o *OpaqueVerifier) introspect(ctx context.Context, token string, digest [32]byte) (*Claims, error) {
	select {
	case o.slots <- struct{}{}:
		defer func() { <-o.slots }()
	case <-ctx.Done():
		return nil, errors.New("too many introspection calls in flight")
	}
	endpoint, err := o.introspectionEndpoint(ctx)
	if err != nil {
		return nil, err
	}
	ctx, end := o.cfg.Observer.Start(ctx, OpIntrospection, o.cfg.Issuer)
	body, err := postIntrospection(ctx, o.client, endpoint, o.cfg.ClientID, o.cfg.ClientSecret, token)
	if err != nil {
		end(err)
		o.misconfigured.report(ctx, o.cfg.Logger, o.cfg.Observer, err)
		return nil, err
	}
	c, err := o.readAnswer(body)
	end(err)
	if err != nil {
		return nil, err
	}
	now := o.cfg.Now()
	until := now.Add(o.cfg.CacheTTL)
	if c != nil && !c.ExpiresAt.IsZero() {
		until = minTime(until, c.ExpiresAt)
	}
	o.cache.put(digest, c, until, now)
	return c, nil
}

// readAnswer reads an introspection answer: nil claims when the token is
// not active, or is active but not for this service (issuer, audience,
// token type). A malformed answer is an error (the endpoint failed).
func (o *OpaqueVerifier) readAnswer(body []byte) (*Claims, error) {
	var active, hasActive bool
	var tokenType string
	err := strictjson.Members(body, func(key, value []byte) error {
		switch string(key) {
		case "active":
			switch string(value) {
			case "true", "false":
				active, hasActive = string(value) == "true", true
			default:
				return errors.New(`"active" is not a JSON boolean`)
			}
		case "token_type", "token_use":
			if s, ok := strictjson.String(value); ok && s == "refresh_token" {
				tokenType = s
			}
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("malformed introspection response: %w", err)
	case !hasActive:
		return nil, errors.New(`malformed introspection response: no "active" member`)
	case !active || tokenType == "refresh_token":
		return nil, nil
	}
	c, err := decodeClaims(body)
	if err != nil {
		return nil, fmt.Errorf("malformed introspection response: %w", err)
	}
	switch {
	case c.Issuer != "" && c.Issuer != o.cfg.Issuer && !slices.Contains(o.cfg.IssuerAliases, c.Issuer):
		return nil, nil
	case !o.cfg.SkipAudienceCheck && !containsAny(c.Audience, o.cfg.Audience):
		return nil, nil
	case c.Subject == "":
		return nil, nil
	}
	return c, nil
}

// introspectionEndpoint returns the configured endpoint, or the one the
// issuer's discovery document advertises (looked up once).
func (o *OpaqueVerifier) introspectionEndpoint(ctx context.Context) (string, error) {
	if o.cfg.Endpoint != "" {
		return o.cfg.Endpoint, nil
	}
	o.mu.Lock()
	endpoint := o.endpoint
	o.mu.Unlock()
	if endpoint != "" {
		return endpoint, nil
	}
	v, err, _ := o.discovery.Do("", func() (any, error) {
		doc, err := discover(ctx, o.client, Config{Issuer: o.cfg.Issuer, AllowInsecureHTTP: o.cfg.AllowInsecureHTTP})
		if err != nil {
			return "", err
		}
		if doc.IntrospectionEndpoint == "" || checkURL(doc.IntrospectionEndpoint, o.cfg.AllowInsecureHTTP) != nil {
			return "", errNoIntrospectionEndpoint
		}
		o.mu.Lock()
		o.endpoint = doc.IntrospectionEndpoint
		o.mu.Unlock()
		return doc.IntrospectionEndpoint, nil
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// Close releases idle connections.
func (o *OpaqueVerifier) Close() error {
	closeIdle(o.client)
	return nil
}
