package authtest

import (
	"crypto"
	"fmt"
	"time"
)

// Defaults used by NewIssuer when no option says otherwise. They are
// exported so that tests can assert on them without repeating literals.
const (
	// DefaultAudience is the "aud" minted when WithAudience is not given.
	DefaultAudience = "identsphere-dev"
	// DefaultKID is the kid of the ephemeral key generated when no WithKey
	// option is given.
	DefaultKID = "dev-1"
	// DefaultSubject is the "sub" that Mint puts in a token unless the
	// claims say otherwise.
	DefaultSubject = "user-1"
	// DefaultTokenTTL is the lifetime of minted tokens when WithTokenTTL is
	// not given.
	DefaultTokenTTL = time.Hour
	// DefaultSlowDelay is how long FaultSlow holds a request unless
	// SetSlowDelay says otherwise: longer than any sane client timeout.
	DefaultSlowDelay = 30 * time.Second
)

// Option configures an Issuer at construction time. Options only describe
// the issuer; everything that a test changes while running (keys, faults)
// has a method on Issuer instead.
type Option func(*config)

type config struct {
	keys            []*signingKey
	audience        string
	ttl             time.Duration
	discovery       bool
	discoveryIssuer *string
	onHold          func()
	// loopbackHostsOnly refuses requests whose Host is not loopback.
	loopbackHostsOnly bool
	// introspectionClient is "id:secret", the credentials introspection
	// accepts.
	introspectionClient string
}

// WithIntrospectionClient makes the introspection endpoint accept the
// client id and secret given, instead of IntrospectionClientID and
// IntrospectionClientSecret: several issuers with credentials of their
// own, to test that each issuer's credentials reach only its endpoint
// (see IntrospectionClients).
func WithIntrospectionClient(id, secret string) Option {
	return func(c *config) { c.introspectionClient = id + ":" + secret }
}

// WithKey publishes key under kid and makes it available for signing. The
// first WithKey becomes the default signing key, so tests choose the key
// type without generating one. The algorithm is inferred from the key:
// RSA→RS256, P-256→ES256, P-384→ES384, P-521→ES512, Ed25519→EdDSA.
//
// Supported key types are *rsa.PrivateKey, *ecdsa.PrivateKey and
// ed25519.PrivateKey. An empty kid, a repeated kid or another key type is a
// programming error: NewIssuer panics.
func WithKey(kid string, key crypto.Signer) Option {
	return func(c *config) {
		c.keys = append(c.keys, mustSigningKey("WithKey", kid, key))
	}
}

// WithAudience sets the "aud" that Mint uses by default and that the
// refresh endpoint requires, so that tests can match the audience their
// relying party is configured with.
func WithAudience(aud string) Option {
	return func(c *config) { c.audience = aud }
}

// WithoutDiscovery makes /.well-known/openid-configuration answer 404, as
// for an issuer that publishes only a JWKS, so that a client's fallback to
// /.well-known/jwks.json can be tested.
func WithoutDiscovery() Option {
	return func(c *config) { c.discovery = false }
}

// WithDiscoveryIssuer makes the discovery document advertise iss instead of
// URL(). It models a misconfigured or lying issuer: OpenID Connect Discovery
// requires clients to reject a document whose issuer differs from the one
// they asked for.
func WithDiscoveryIssuer(iss string) Option {
	return func(c *config) { c.discoveryIssuer = &iss }
}

// WithTokenTTL sets the lifetime of minted tokens ("exp" = now + d) and the
// "expires_in" of the auth endpoints. A non-positive d is a programming
// error (an expired token is minted with an explicit "exp" claim instead):
// NewIssuer panics.
func WithTokenTTL(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			panic(fmt.Sprintf("authtest: WithTokenTTL(%v): the lifetime must be positive", d))
		}
		c.ttl = d
	}
}

// WithLoopbackHostsOnly makes the issuer answer 421 Misdirected Request to
// every request whose Host header is not localhost, an address in
// 127.0.0.0/8 or [::1] (with or without a port). Use it when the issuer
// runs for longer than a test, as a development issuer does: listening on
// 127.0.0.1 keeps other machines out, but not a web page in the
// developer's browser, which can point its own name at 127.0.0.1 (DNS
// rebinding) and then log in as anyone. Clients that use URL() send a
// loopback Host and are unaffected.
func WithLoopbackHostsOnly() Option {
	return func(c *config) { c.loopbackHostsOnly = true }
}
