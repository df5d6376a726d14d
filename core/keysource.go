package core

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"golang.org/x/time/rate"
)

// keySource loads the issuer's keys and keeps them fresh.
//
// keyfunc (over jwkset) fetches the JWKS, refreshes it every
// RefreshInterval and, rate-limited, when a token names an unknown kid. Its
// defaults are wrong for a server, so everything is configured here; and it
// tries only once at start, then hourly. keySource adds what is missing: a
// background loop that retries discovery and the first fetch with backoff
// until keys arrive, readiness, and a store that refuses to wipe cached keys.
type keySource struct {
	cfg    Config
	client *http.Client
	store  *guardedStore
	keys   atomic.Pointer[loadedKeys] // nil until the first usable key set

	ready   chan struct{}
	mu      sync.Mutex
	lastErr error

	life        context.Context
	cancel      context.CancelFunc
	stopRefresh context.CancelFunc // ends keyfunc's refresh goroutine; set once loaded
	done        chan struct{}

	kidLimit   *rate.Limiter // refreshes for unknown kids, one per UnknownKIDRefreshInterval
	kidMu      sync.Mutex
	kidRefresh chan struct{} // closed when the unknown-kid refresh in flight ends
	kidWG      sync.WaitGroup
}

// loadedKeys is what the first successful load establishes.
type loadedKeys struct {
	kf            keyfunc.Keyfunc // refreshes on unknown kids
	algs          algSet          // the allow-list in force
	introspection string          // discovery's introspection_endpoint, or ""
}

func newKeySource(ctx context.Context, cfg Config) *keySource {
	ctx, cancel := context.WithCancel(ctx)
	s := &keySource{
		cfg:      cfg,
		client:   newIssuerClient(cfg),
		ready:    make(chan struct{}),
		life:     ctx,
		cancel:   cancel,
		done:     make(chan struct{}),
		kidLimit: rate.NewLimiter(rate.Every(cfg.UnknownKIDRefreshInterval), 1),
	}
	s.store = newGuardedStore()
	go s.run(ctx)
	return s
}

// run retries the first load with backoff and jitter until it succeeds or
// ctx ends. Afterwards keyfunc's own refresh takes over.
func (s *keySource) run(ctx context.Context) {
	defer close(s.done)
	for attempt := 0; ; attempt++ {
		err := s.load(ctx)
		if err == nil {
			close(s.ready)
			s.setErr(nil)
			s.cfg.Logger.InfoContext(ctx, "identsphere: signing keys loaded", "issuer", s.cfg.Issuer)
			return
		}
		if ctx.Err() != nil {
			return
		}
		s.setErr(err)
		delay := retryDelay(attempt)
		s.cfg.Logger.WarnContext(ctx, "identsphere: signing keys not loaded; retrying", "issuer", s.cfg.Issuer, "error", err, "retry_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// retryDelay is the wait before retry n: 500ms doubling to a 15s cap, each
// with up to 20% jitter so that a fleet does not retry in step.
func retryDelay(n int) time.Duration {
	d := 500 * time.Millisecond << min(n, 5)
	d = min(d, 15*time.Second)
	return d - time.Duration(rand.Int64N(int64(d/5)))
}

// load makes one attempt: discovery, then the first JWKS fetch.
func (s *keySource) load(ctx context.Context) error {
	jwksURL, algs, introspection := s.cfg.JWKSURL, advertisedAlgorithms(nil), ""
	if jwksURL == "" {
		dctx, cancel := context.WithTimeout(ctx, s.cfg.HTTPTimeout)
		doc, err := discover(dctx, s.client, s.cfg)
		cancel()
		switch {
		case errors.Is(err, errDiscoveryNotFound):
			jwksURL = wellKnown(s.cfg.Issuer, "jwks.json")
		case err != nil:
			return err
		default:
			jwksURL, algs = doc.JWKSURI, advertisedAlgorithms(doc.SigningAlgorithms)
			if checkURL(doc.IntrospectionEndpoint, s.cfg.AllowInsecureHTTP) == nil {
				introspection = doc.IntrospectionEndpoint
			}
		}
	}
	if len(s.cfg.Algorithms) > 0 {
		algs = algSet(s.cfg.Algorithms)
	}

	// The refresh goroutine jwkset starts lives as long as attemptCtx; a
	// failed attempt cancels it so that retries leave nothing behind.
	attemptCtx, cancelAttempt := context.WithCancel(ctx)
	storage, err := jwkset.NewStorageFromHTTP(jwksURL, jwkset.HTTPClientStorageOptions{
		Client:          s.client,
		Ctx:             attemptCtx,
		HTTPTimeout:     s.cfg.HTTPTimeout,
		RefreshInterval: s.cfg.RefreshInterval,
		RefreshErrorHandler: func(ctx context.Context, err error) {
			s.cfg.Logger.WarnContext(ctx, "identsphere: key refresh failed; keeping the cached keys", "jwks_url", jwksURL, "error", err)
		},
		Storage: s.store,
	})
	if err != nil {
		cancelAttempt()
		return fmt.Errorf("identsphere: fetching keys: %w", err)
	}
	client, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs: map[string]jwkset.Storage{jwksURL: storage},
		// keyfunc refreshes on every unknown kid it is asked about;
		// refreshForKID decides when to ask (kidLimit) and how long a
		// request waits.
		RateLimitWaitMax:  s.cfg.HTTPTimeout,
		RefreshUnknownKID: rate.NewLimiter(rate.Inf, 1),
	})
	if err == nil {
		var kf keyfunc.Keyfunc
		kf, err = keyfunc.New(keyfunc.Options{Ctx: attemptCtx, Storage: client})
		if err == nil {
			s.stopRefresh = cancelAttempt
			s.keys.Store(&loadedKeys{kf: kf, algs: algs, introspection: introspection})
			return nil
		}
	}
	cancelAttempt()
	return fmt.Errorf("identsphere: key store: %w", err)
}

func (s *keySource) setErr(err error) {
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
}

func (s *keySource) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// lookup finds the key that must check a token's signature. Only a token
// that names a kid absent from the cached set can wait, and then only for
// UnknownKIDWait while keyfunc refreshes (at most once per
// UnknownKIDRefreshInterval, across all requests).
func (s *keySource) lookup(ctx context.Context, loaded *loadedKeys, t *jws) (*verificationKey, error) {
	snap := s.store.snapshot.Load()
	if !t.hasKID {
		return snap.onlyKeyFor(t.alg)
	}
	if t.kid == "" {
		return nil, tokenErr("kid", "the token's key id is empty", nil)
	}
	if k, err := snap.find(t.kid, t.alg); k != nil || err != nil {
		return k, err
	}
	// Unknown kid: perhaps the issuer rotated. keyfunc refreshes the store
	// (rate-limited) on a miss; the result lands in a new snapshot.
	s.refreshForKID(ctx, loaded, t.kid)
	if k, err := s.store.snapshot.Load().find(t.kid, t.alg); k != nil || err != nil {
		return k, err
	}
	return nil, tokenErr("kid", "the token's key id is not in the issuer's key set", nil)
}

// refreshForKID asks keyfunc to refresh for an unknown kid and waits for it
// at most UnknownKIDWait. At most one such refresh is in flight, and at most
// one starts per UnknownKIDRefreshInterval: a request that finds neither
// returns at once, so junk kids cost nothing but a map lookup. The refresh
// runs in the background, bounded by HTTPTimeout and the Validator's
// lifetime rather than by the request, so an issuer slower than the wait
// still delivers its new key to the requests that follow.
func (s *keySource) refreshForKID(ctx context.Context, loaded *loadedKeys, kid string) {
	s.kidMu.Lock()
	done := s.kidRefresh
	if done == nil && !s.kidLimit.Allow() {
		s.kidMu.Unlock()
		return
	}
	if done == nil {
		done = make(chan struct{})
		s.kidRefresh = done
		s.kidWG.Add(1)
		go func() {
			defer s.kidWG.Done()
			rctx, cancel := context.WithTimeout(s.life, s.cfg.HTTPTimeout)
			_, _ = loaded.kf.Storage().KeyRead(rctx, kid)
			cancel()
			s.kidMu.Lock()
			s.kidRefresh = nil
			s.kidMu.Unlock()
			close(done)
		}()
	}
	s.kidMu.Unlock()
	t := time.NewTimer(s.cfg.UnknownKIDWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	}
}

// find returns the key with the kid that fits alg; an error when the kid is
// known but no key under it may check alg; nil, nil when the kid is unknown.
func (s *keySnapshot) find(kid, alg string) (*verificationKey, error) {
	k, ok := s.byKID[kid]
	if !ok {
		return nil, nil
	}
	if k.fits(alg) {
		return k, nil
	}
	for _, other := range s.all { // several keys may share a kid
		if other.kid == kid && other.fits(alg) {
			return other, nil
		}
	}
	if k.reject != "" {
		return nil, tokenErr("key", "the signing key is not acceptable: "+k.reject, nil)
	}
	return nil, tokenErr("key", "the token's algorithm does not fit its key", nil)
}

// onlyKeyFor serves tokens without a kid: accepted only when exactly one
// usable key fits the alg, so a kid-less token can never be checked against
// a key chosen by trial.
func (s *keySnapshot) onlyKeyFor(alg string) (*verificationKey, error) {
	var found *verificationKey
	for _, k := range s.all {
		if k.fits(alg) {
			if found != nil {
				return nil, tokenErr("kid", "the token has no key id and several keys fit its algorithm", nil)
			}
			found = k
		}
	}
	if found == nil {
		return nil, tokenErr("kid", "the token has no key id and no key fits its algorithm", nil)
	}
	return found, nil
}

// close stops the background work and waits for the retry loop.
func (s *keySource) close() {
	s.cancel()
	<-s.done
	s.kidWG.Wait()
	if s.stopRefresh != nil {
		s.stopRefresh()
	}
	closeIdle(s.client)
}
