package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// IntrospectionClient is where one issuer's tokens are introspected, and
// with which client credentials. Credentials belong to one issuer: sent to
// another issuer's endpoint, they would be given away, and its answer
// trusted about a token it never issued.
type IntrospectionClient struct {
	// Issuer is the Config.Issuer of the issuer whose tokens these
	// credentials introspect (Claims.AdmittedBy), exactly.
	Issuer string
	// Endpoint is the introspection endpoint. Default: the
	// introspection_endpoint of that issuer's discovery document.
	Endpoint string
	// ClientID and ClientSecret authenticate this service to the endpoint
	// (client_secret_basic, RFC 6749 section 2.3.1).
	ClientID, ClientSecret string
}

// errNoIntrospectionClient: a token from an issuer with no introspection
// configured. It is answered as an endpoint that cannot be reached.
type errNoIntrospectionClient struct{ issuer string }

func (e *errNoIntrospectionClient) Error() string {
	return fmt.Sprintf(
		"no introspection is configured for the issuer %q: add it to IntrospectionConfig.Issuers (or name it in "+
			"IntrospectionConfig.Issuer); no other issuer's endpoint or credentials are used for its tokens",
		e.issuer,
	)
}

// introspectionClients resolves cfg into one IntrospectionClient per
// issuer. The single fields (Endpoint, ClientID, ClientSecret) belong to
// cfg.Issuer, or to the Validator's only issuer; with several issuers and
// no cfg.Issuer they belong to nobody, which is an error rather than a
// guess.
func introspectionClients(v *Validator, cfg IntrospectionConfig) (map[string]IntrospectionClient, error) {
	single := IntrospectionClient{
		Issuer:       cfg.Issuer,
		Endpoint:     cfg.Endpoint,
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
	}
	singleSet := single != IntrospectionClient{}
	if only := v.onlyIssuer(); only != nil {
		switch {
		case single.Issuer == "":
			single.Issuer = only.cfg.Issuer
		case single.Issuer != only.cfg.Issuer:
			return nil, fmt.Errorf(
				"identsphere: IntrospectionConfig.Issuer %q is not the Validator's issuer %q",
				single.Issuer,
				only.cfg.Issuer,
			)
		}
		singleSet = true
	}
	clients := make(map[string]IntrospectionClient, len(cfg.Issuers)+1)
	all := cfg.Issuers
	if singleSet {
		if single.Issuer == "" {
			return nil, errors.New(
				"identsphere: IntrospectionConfig: with several issuers, name the issuer Endpoint, ClientID and " +
					"ClientSecret belong to (IntrospectionConfig.Issuer), or list each issuer's in " +
					"IntrospectionConfig.Issuers",
			)
		}
		all = append([]IntrospectionClient{single}, all...)
	}
	if len(all) == 0 {
		return nil, errors.New(
			"identsphere: IntrospectionConfig: with several issuers, list the introspection of each issuer whose " +
				"tokens reach fresh routes in IntrospectionConfig.Issuers",
		)
	}
	for _, c := range all {
		if c.Issuer == "" {
			return nil, errors.New("identsphere: IntrospectionConfig.Issuers: an entry names no Issuer")
		}
		if _, dup := clients[c.Issuer]; dup {
			return nil, fmt.Errorf("identsphere: IntrospectionConfig: the issuer %q is configured twice", c.Issuer)
		}
		if c.Endpoint != "" {
			if err := checkURL(c.Endpoint, v.cfg.AllowInsecureHTTP); err != nil {
				return nil, fmt.Errorf("identsphere: IntrospectionConfig endpoint of %q: %w", c.Issuer, err)
			}
		}
		clients[c.Issuer] = c
	}
	return clients, nil
}

// onlyIssuer is the Validator's one issuer: from New, or from NewMulti
// with one issuer and no template; nil when it has several.
func (v *Validator) onlyIssuer() *issuer {
	switch {
	case v.one != nil:
		return v.one
	case len(v.multi.static) == 1 && len(v.multi.templates) == 0:
		return v.multi.static[0]
	}
	return nil
}

// unconfiguredIssuers logs, once per issuer and at error level, a token
// from an issuer with no introspection configured: like a wrong secret, it
// needs an operator. It remembers at most maxUnconfiguredReported issuers,
// so that tokens of many tenants cannot grow it.
type unconfiguredIssuers struct {
	mu       sync.Mutex
	reported map[string]struct{}
}

const maxUnconfiguredReported = 64

func (u *unconfiguredIssuers) report(
	ctx context.Context,
	log *slog.Logger,
	obs Observer,
	err *errNoIntrospectionClient,
) {
	u.mu.Lock()
	_, seen := u.reported[err.issuer]
	first := !seen && len(u.reported) < maxUnconfiguredReported
	if first {
		if u.reported == nil {
			u.reported = make(map[string]struct{})
		}
		u.reported[err.issuer] = struct{}{}
	}
	u.mu.Unlock()
	if first {
		log.ErrorContext(
			ctx,
			"identsphere: introspection cannot work for this issuer until its "+
				"configuration is fixed; its tokens on fresh routes answer 503",
			"issuer",
			err.issuer,
			"error",
			err,
		)
		obs.Happened(ctx, Event{Kind: EventIntrospectionMisconfigured, Issuer: err.issuer, Err: err})
	}
}
