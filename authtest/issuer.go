package authtest

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"
)

// Paths served by an Issuer, relative to URL().
const (
	discoveryPath = "/.well-known/openid-configuration"
	jwksPath      = "/.well-known/jwks.json"
	loginPath     = "/v1/auth/login"
	signupPath    = "/v1/auth/signup"
	logoutPath    = "/v1/auth/logout"
	refreshPath   = "/v1/auth/refresh"
)

// Issuer is a fake OpenID Connect issuer serving on loopback. All its
// methods are safe for concurrent use, so a test can rotate keys or inject
// faults while requests are in flight. Create one with NewIssuer (the zero
// value is not usable) and call Close when done.
type Issuer struct {
	srv             *httptest.Server
	url             string
	audience        string
	ttl             time.Duration
	discovery       bool
	discoveryIssuer string
	onHold          func() // test hook: a FaultSlow request starts waiting

	mu         sync.RWMutex
	keys       map[string]*signingKey // every key that can sign, by kid
	published  map[string]bool        // kids served in the JWKS
	order      []string               // kids in first-added order, fixing the JWKS order
	defaultKID string
	jwksBody   []byte // when non-nil, served verbatim instead of the real set

	fault     atomic.Int64 // a Fault
	slowDelay atomic.Int64 // a time.Duration

	jwksFetches      atomic.Int64
	discoveryFetches atomic.Int64
	authRequests     atomic.Int64

	introspectionFault    atomic.Int64 // a Fault
	introspectionRequests atomic.Int64
	introspectionClient   string   // "id:secret", the credentials accepted
	introspectionCallers  sync.Map // client id presented → *atomic.Int64
	revokedJTIs           sync.Map // jti → struct{}
	revokedSIDs           sync.Map // sid → struct{}
	backChannel           backChannel

	closing   chan struct{} // closed by Close, releases held requests
	closeOnce sync.Once
}

// NewIssuer starts an issuer on a random loopback port. Its issuer
// identifier is the server's base URL, with no trailing slash.
//
// Without a WithKey option it generates one ephemeral RSA-2048 key under
// DefaultKID, so code outside this module never ships with a fixed key.
// Like httptest.NewServer, it panics if it cannot listen or if an option is
// invalid, because neither is something a test can recover from.
func NewIssuer(opts ...Option) *Issuer {
	cfg := config{audience: DefaultAudience, ttl: DefaultTokenTTL, discovery: true,
		introspectionClient: IntrospectionClientID + ":" + IntrospectionClientSecret}
	for _, opt := range opts {
		opt(&cfg)
	}
	if len(cfg.keys) == 0 {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(fmt.Sprintf("authtest: generating the ephemeral key: %v", err))
		}
		cfg.keys = append(cfg.keys, mustSigningKey("NewIssuer", DefaultKID, key))
	}

	i := &Issuer{
		audience:            cfg.audience,
		ttl:                 cfg.ttl,
		discovery:           cfg.discovery,
		onHold:              cfg.onHold,
		introspectionClient: cfg.introspectionClient,
		keys:                make(map[string]*signingKey, len(cfg.keys)),
		published:           make(map[string]bool, len(cfg.keys)),
		defaultKID:          cfg.keys[0].kid,
		closing:             make(chan struct{}),
	}
	for _, k := range cfg.keys {
		if _, dup := i.keys[k.kid]; dup {
			panic(fmt.Sprintf("authtest: WithKey(%q): kid given twice", k.kid))
		}
		i.keys[k.kid] = k
		i.published[k.kid] = true
		i.order = append(i.order, k.kid)
	}
	i.slowDelay.Store(int64(DefaultSlowDelay))

	// The URL is fixed before the server starts so that handlers never race
	// with its assignment.
	handler := i.routes()
	if cfg.loopbackHostsOnly {
		handler = loopbackHostsOnly(handler)
	}
	i.srv = httptest.NewUnstartedServer(handler)
	i.url = "http://" + i.srv.Listener.Addr().String()
	i.discoveryIssuer = i.url
	if cfg.discoveryIssuer != nil {
		i.discoveryIssuer = *cfg.discoveryIssuer
	}
	i.srv.Start()
	return i
}

func (i *Issuer) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(discoveryPath, i.serveDiscovery)
	mux.HandleFunc(jwksPath, i.serveJWKS)
	mux.HandleFunc(loginPath, i.authEndpoint(i.serveLogin))
	mux.HandleFunc(signupPath, i.authEndpoint(i.serveLogin))
	mux.HandleFunc(logoutPath, i.authEndpoint(i.serveLogout))
	mux.HandleFunc(refreshPath, i.authEndpoint(i.serveRefresh))
	mux.HandleFunc(introspectionPath, i.serveIntrospection)
	return mux
}

// URL returns the issuer identifier: the "iss" of minted tokens and, unless
// WithDiscoveryIssuer says otherwise, the "issuer" of the discovery document.
func (i *Issuer) URL() string { return i.url }

// JWKSURL returns where the public keys are served, for clients configured
// with a JWKS URL instead of discovery.
func (i *Issuer) JWKSURL() string { return i.url + jwksPath }

// Audience returns the "aud" that Mint uses by default.
func (i *Issuer) Audience() string { return i.audience }

// JWKSFetches returns how many requests reached the JWKS endpoint, whether
// or not they were answered, so that tests can assert on a client's caching
// and refresh behaviour.
func (i *Issuer) JWKSFetches() int64 { return i.jwksFetches.Load() }

// DiscoveryFetches returns how many requests reached the discovery endpoint,
// whether or not they were answered.
func (i *Issuer) DiscoveryFetches() int64 { return i.discoveryFetches.Load() }

// AuthRequests returns how many requests reached the /v1/auth/ endpoints,
// whatever their outcome.
func (i *Issuer) AuthRequests() int64 { return i.authRequests.Load() }

// Close stops the server and waits for its handlers to return. Requests held
// by FaultSlow are released (their connections dropped) first, so Close
// returns promptly whatever fault is set. Close may be called more than once.
func (i *Issuer) Close() {
	i.closeOnce.Do(func() { close(i.closing) })
	i.srv.Close()
}
