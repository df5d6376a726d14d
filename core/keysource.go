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

	"github.com/identsphere/identsphere-go/internal/jose"
	"golang.org/x/time/rate"
)

// keySource loads the issuer's keys and keeps them fresh.
//
// It fetches the JWKS itself and reads it key by key (jose.ParseJWKS), rather
// than through keyfunc and jwkset's HTTP storage, because that refuses a whole
// set for one key it cannot use, and real issuers publish such sets; it also
// refuses weak keys, honours Retry-After and re-reads discovery. The keys go
// to guardedStore, whose snapshot requests read.
// Background work retries discovery and the first fetch with backoff until
// keys arrive, then refreshes every RefreshInterval; a token naming an
// unknown kid triggers a rate-limited refresh. All of it lives until close,
// whatever becomes of the context given to New. Between fetches a key
// source waits on a timer, not in a goroutine of its own: a Validator with
// a hundred issuers keeps no hundred idle goroutines for the garbage
// collector to scan.
type keySource struct {
	cfg    Config
	client *http.Client
	store  *guardedStore
	keys   atomic.Pointer[loadedKeys] // nil until the first usable key set

	ready    chan struct{} // closed when the first usable key set is in
	closed   chan struct{} // closed by close
	isClosed atomic.Bool

	mu        sync.Mutex
	lastErr   error
	lastFetch time.Time // the last successful fetch of the set

	life   context.Context // New's context without its cancellation; ends at close
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine started here, and every step scheduled

	stepMu sync.Mutex  // guards step, and orders wg.Add before close's wg.Wait
	step   *time.Timer // the next scheduled step of the background work

	refreshMu sync.Mutex              // one fetch of the set at a time, in order
	refused   map[refusedKey]struct{} // refused keys of the last set, logged once; under refreshMu

	kidLimit   *rate.Limiter // refreshes for unknown kids, one per UnknownKIDRefreshInterval
	kidMu      sync.Mutex    // guards kidRefresh, and orders wg.Add before close's wg.Wait
	kidRefresh chan struct{} // closed when the unknown-kid refresh in flight ends

	hooks loadHooks
}

// loadHooks tell the maker of a key source how its first load ended. An
// issuer made from a template uses them: its first load is tried once, so
// that a tenant that does not exist costs the provider one attempt, not a
// poll without end.
type loadHooks struct {
	// loaded, if set, is called once the first usable key set is in,
	// before Ready can see it.
	loaded func()
	// failed, if set, replaces the retries of a failed first load: the key
	// source stops for good (nothing of it runs or is scheduled any more)
	// and failed is called with the error.
	failed func(error)
}

// loadedKeys is what the first successful load establishes.
type loadedKeys struct {
	introspection string // discovery's introspection_endpoint, or ""
	jwksURL       string // where the keys are fetched
	discovered    bool   // jwksURL came from a discovery document
}

// refusedKey identifies a refused key for logging it once.
type refusedKey struct{ kid, reason string }

// newKeySource starts loading keys. ctx's values (for logging) are kept
// but not its cancellation: see New.
func newKeySource(ctx context.Context, cfg Config, transport *http.Transport, hooks loadHooks) *keySource {
	life, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &keySource{
		cfg:      cfg,
		client:   newIssuerClientOver(cfg, transport),
		store:    newGuardedStore(),
		ready:    make(chan struct{}),
		closed:   make(chan struct{}),
		life:     life,
		cancel:   cancel,
		kidLimit: rate.NewLimiter(rate.Every(cfg.UnknownKIDRefreshInterval), 1),
		hooks:    hooks,
	}
	s.schedule(0, func() { s.firstLoad(0) })
	return s
}

// schedule runs step after d, in a goroutine of its own, unless close has
// begun; close stops a step not yet started and waits for one running.
func (s *keySource) schedule(d time.Duration, step func()) {
	s.stepMu.Lock()
	defer s.stepMu.Unlock()
	if s.isClosed.Load() {
		return
	}
	s.wg.Add(1)
	s.step = time.AfterFunc(d, func() {
		defer s.wg.Done()
		step()
	})
}

// firstLoad makes load attempt n; after a failure it schedules the next
// with backoff and jitter, after success the first periodic refresh.
func (s *keySource) firstLoad(attempt int) {
	ctx := s.life
	if err := s.load(ctx); err != nil {
		if ctx.Err() != nil {
			return
		}
		s.setErr(err)
		if s.hooks.failed != nil {
			s.halt()
			closeIdle(s.client)
			s.hooks.failed(err)
			return
		}
		delay := retryDelay(attempt)
		s.cfg.Logger.WarnContext(
			ctx,
			"identsphere: signing keys not loaded; retrying",
			"issuer",
			s.cfg.Issuer,
			"error",
			err,
			"retry_in",
			delay,
		)
		if attempt == 0 {
			s.cfg.Observer.Happened(ctx, Event{Kind: EventIssuerUnreachable, Issuer: s.cfg.Issuer, Err: err})
		}
		s.schedule(delay, func() { s.firstLoad(attempt + 1) })
		return
	}
	attempts := attempt
	s.setErr(nil)
	if s.hooks.loaded != nil { // before ready: whoever waits finds it counted
		s.hooks.loaded()
	}
	close(s.ready)
	loaded := s.keys.Load()
	kids, algs := s.store.snapshot.Load().describe()
	s.cfg.Logger.InfoContext(
		ctx,
		"identsphere: signing keys loaded",
		"issuer",
		s.cfg.Issuer,
		"jwks_url",
		loaded.jwksURL,
		"kids",
		kids,
		"algorithms",
		algs,
	)
	s.cfg.Observer.Happened(ctx, Event{Kind: EventKeysLoaded, Issuer: s.cfg.Issuer, Kids: kids, Algorithms: algs})
	if attempts > 0 {
		s.cfg.Logger.InfoContext(
			ctx,
			"identsphere: issuer reachable again",
			"issuer",
			s.cfg.Issuer,
			"failed_attempts",
			attempts,
		)
		s.cfg.Observer.Happened(ctx, Event{Kind: EventIssuerRecovered, Issuer: s.cfg.Issuer})
	}
	s.schedule(s.cfg.RefreshInterval, func() { s.periodicRefresh(loaded) })
}

// periodicRefresh reads discovery and the keys again, and schedules the
// next refresh RefreshInterval later.
func (s *keySource) periodicRefresh(loaded *loadedKeys) {
	ctx := s.life
	if ctx.Err() != nil {
		return
	}
	loaded = s.rediscover(ctx, loaded)
	if err := s.refresh(ctx, loaded.jwksURL); err != nil && ctx.Err() == nil {
		s.failedRefresh(ctx, loaded.jwksURL, err, "interval")
	}
	s.schedule(s.cfg.RefreshInterval, func() { s.periodicRefresh(loaded) })
}

// retryDelay is the wait before retry n: 500ms doubling up to
// KeysRetryAfterSeconds, so that a client told to come back after
// Retry-After finds that the loader has tried again meanwhile. Up to 20% is
// taken off at random, so that a fleet does not retry in step.
func retryDelay(n int) time.Duration {
	d := min(500*time.Millisecond<<min(n, 5), KeysRetryAfterSeconds*time.Second)
	return d - time.Duration(rand.Int64N(int64(d/5)))
}

// load makes one attempt: discovery, then the first JWKS fetch.
func (s *keySource) load(ctx context.Context) error {
	jwksURL, introspection, discovered := s.cfg.JWKSURL, "", false
	noDiscovery := "" // the discovery URL, when it answered 404
	if jwksURL == "" {
		dctx, cancel := context.WithTimeout(ctx, s.cfg.HTTPTimeout)
		doc, err := discover(dctx, s.client, s.cfg)
		cancel()
		var se *statusError
		switch {
		case errors.As(err, &se) && se.code == http.StatusNotFound:
			noDiscovery = se.url
			jwksURL = wellKnown(s.cfg.Issuer, "jwks.json")
		case err != nil:
			return withConfigHint(s.cfg, "", err)
		default:
			// Discovery's id_token_signing_alg_values_supported describes ID
			// tokens only, so it does not narrow the algorithms accepted.
			jwksURL, introspection, discovered = doc.JWKSURI, introspectionOf(doc, s.cfg), true
		}
	}
	if err := s.refresh(ctx, jwksURL); err != nil {
		return withConfigHint(s.cfg, noDiscovery, err)
	}
	s.keys.Store(&loadedKeys{introspection: introspection, jwksURL: jwksURL, discovered: discovered})
	return nil
}

// introspectionOf is a discovery document's introspection endpoint, if it
// is a URL this library may call.
func introspectionOf(doc discoveryDocument, c Config) string {
	if checkURL(doc.IntrospectionEndpoint, c.AllowInsecureHTTP) == nil {
		return doc.IntrospectionEndpoint
	}
	return ""
}

// rediscover reads the discovery document again before a periodic
// refresh, and follows (and reports) a changed jwks_uri or
// introspection_endpoint: a provider that moves its keys must not leave
// the service on a stale URL until a restart. A document that cannot be
// read keeps what is known.
func (s *keySource) rediscover(ctx context.Context, loaded *loadedKeys) *loadedKeys {
	if !loaded.discovered {
		return loaded
	}
	dctx, cancel := context.WithTimeout(ctx, s.cfg.HTTPTimeout)
	doc, err := discover(dctx, s.client, s.cfg)
	cancel()
	if err != nil {
		s.cfg.Logger.WarnContext(
			ctx,
			"identsphere: discovery could not be read again; keeping the known URLs",
			"issuer",
			s.cfg.Issuer,
			"error",
			err,
		)
		return loaded
	}
	introspection := introspectionOf(doc, s.cfg)
	if doc.JWKSURI == loaded.jwksURL && introspection == loaded.introspection {
		return loaded
	}
	next := &loadedKeys{introspection: introspection, jwksURL: doc.JWKSURI, discovered: true}
	s.keys.Store(next)
	s.cfg.Logger.InfoContext(
		ctx,
		"identsphere: discovery changed",
		"issuer",
		s.cfg.Issuer,
		"jwks_url",
		doc.JWKSURI,
		"previous_jwks_url",
		loaded.jwksURL,
		"introspection_endpoint",
		introspection,
		"previous_introspection_endpoint",
		loaded.introspection,
	)
	s.cfg.Observer.Happened(ctx, Event{Kind: EventDiscoveryChanged, Issuer: s.cfg.Issuer})
	return next
}

// refresh fetches the JWKS once, within HTTPTimeout, and installs its
// usable keys. Refused keys are logged, each once while it stays published.
// On any failure the cached keys stay.
func (s *keySource) refresh(ctx context.Context, jwksURL string) (err error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.HTTPTimeout)
	defer cancel()
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	ctx, end := s.cfg.Observer.Start(ctx, OpJWKSFetch, s.cfg.Issuer)
	defer func() { end(err) }()
	body, err := fetchJWKS(ctx, s.client, jwksURL)
	if err != nil {
		return err
	}
	keys, err := jose.ParseJWKS(body)
	if err != nil {
		return fmt.Errorf("identsphere: the JWKS at %s: %w", jwksURL, err)
	}
	s.logRefused(ctx, jwksURL, keys)
	before := s.store.snapshot.Load()
	if err := s.store.replace(keys); err != nil {
		return fmt.Errorf("%w (JWKS at %s)", err, jwksURL)
	}
	s.mu.Lock()
	s.lastFetch, s.lastErr = s.cfg.Now(), nil
	s.mu.Unlock()
	if before != nil {
		s.reportChanges(ctx, jwksURL, before, s.store.snapshot.Load())
	}
	return nil
}

// reportChanges logs and reports the kids a refresh added and removed: a
// rotation at the issuer.
func (s *keySource) reportChanges(ctx context.Context, jwksURL string, before, after *keySnapshot) {
	added, removed := before.diff(after)
	if len(added) == 0 && len(removed) == 0 {
		return
	}
	s.cfg.Logger.InfoContext(
		ctx,
		"identsphere: signing keys changed",
		"issuer",
		s.cfg.Issuer,
		"jwks_url",
		jwksURL,
		"added",
		added,
		"removed",
		removed,
	)
	s.cfg.Observer.Happened(ctx, Event{Kind: EventKeysChanged, Issuer: s.cfg.Issuer, Added: added, Removed: removed})
}

// failedRefresh logs and reports a refresh that failed after the first
// load: the cached keys are kept.
func (s *keySource) failedRefresh(ctx context.Context, jwksURL string, err error, why string) {
	s.setErr(err)
	s.cfg.Logger.WarnContext(
		ctx,
		"identsphere: key refresh failed; keeping the cached keys",
		"issuer",
		s.cfg.Issuer,
		"jwks_url",
		jwksURL,
		"trigger",
		why,
		"error",
		err,
	)
	s.cfg.Observer.Happened(ctx, Event{Kind: EventKeyRefreshFailed, Issuer: s.cfg.Issuer, Err: err})
}

// logRefused logs each refused key of a fetched set with its kid and the
// reason, unless the previous set refused the same kid for the same reason:
// a bad key an issuer keeps publishing is logged once, not every refresh.
// The caller holds refreshMu.
func (s *keySource) logRefused(ctx context.Context, jwksURL string, keys []jose.Key) {
	next := make(map[refusedKey]struct{})
	for i := range keys {
		k := &keys[i]
		if k.Reject == "" {
			continue
		}
		r := refusedKey{kid: k.KID, reason: k.Reason()}
		next[r] = struct{}{}
		if _, logged := s.refused[r]; !logged {
			s.cfg.Logger.WarnContext(
				ctx,
				"identsphere: a JWKS key is refused; the set's other keys are used",
				"jwks_url",
				jwksURL,
				"kid",
				r.kid,
				"reason",
				r.reason,
			)
			s.cfg.Observer.Happened(
				ctx,
				Event{Kind: EventKeyRefused, Issuer: s.cfg.Issuer, Kid: r.kid, Reason: r.reason},
			)
		}
	}
	s.refused = next
}

func (s *keySource) setErr(err error) {
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
}

func (s *keySource) fetchedAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastFetch
}

func (s *keySource) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// usable reports whether keys are loaded and still refreshed.
func (s *keySource) usable() bool {
	return s.keys.Load() != nil && !s.isClosed.Load()
}

// lookup finds the key that must check a token's signature. Only a token
// that names a kid absent from the cached set can wait, and then only for
// UnknownKIDWait while the set is refreshed (at most once per
// UnknownKIDRefreshInterval, across all requests).
func (s *keySource) lookup(ctx context.Context, loaded *loadedKeys, t *jws) (*verificationKey, error) {
	snap := s.store.snapshot.Load()
	if !t.hasKID {
		return snap.onlyKeyFor(t.alg)
	}
	if t.kid == "" {
		return nil, tokenErr(CheckKID, "the token's key id is empty", nil)
	}
	if k, err := snap.find(t.kid, t.alg); k != nil || err != nil {
		return k, err
	}
	// Unknown kid: perhaps the issuer rotated. The refresh, if any, lands
	// in a new snapshot.
	s.refreshForKID(ctx, loaded)
	if k, err := s.store.snapshot.Load().find(t.kid, t.alg); k != nil || err != nil {
		return k, err
	}
	return nil, tokenErr(CheckKID, "the token's key id is not in the issuer's key set", nil)
}

// refreshForKID refreshes the set for an unknown kid and waits for it at
// most UnknownKIDWait. At most one such refresh is in flight, and at most
// one starts per UnknownKIDRefreshInterval: a request that finds neither
// returns at once, so junk kids cost nothing but a map lookup. The refresh
// runs in the background, bounded by HTTPTimeout and the Validator's
// lifetime rather than by the request, so an issuer slower than the wait
// still delivers its new key to the requests that follow. After close,
// none starts.
func (s *keySource) refreshForKID(ctx context.Context, loaded *loadedKeys) {
	s.kidMu.Lock()
	done := s.kidRefresh
	if done == nil {
		if s.isClosed.Load() || !s.kidLimit.Allow() {
			s.kidMu.Unlock()
			return
		}
		done = make(chan struct{})
		s.kidRefresh = done
		s.wg.Add(1) // under kidMu, so never after close has begun to wait
		go func() {
			defer s.wg.Done()
			// The kid came from a token: it is not logged.
			s.cfg.Logger.InfoContext(
				s.life,
				"identsphere: a token named an unknown kid; refreshing the keys",
				"issuer",
				s.cfg.Issuer,
			)
			s.cfg.Observer.Happened(s.life, Event{Kind: EventUnknownKIDRefresh, Issuer: s.cfg.Issuer})
			if err := s.refresh(s.life, loaded.jwksURL); err != nil {
				s.failedRefresh(s.life, loaded.jwksURL, err, "unknown kid")
			}
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
		return nil, tokenErr(CheckKey, "the signing key is not acceptable: "+k.reject, nil)
	}
	return nil, tokenErr(CheckKey, "the token's algorithm does not fit its key", nil)
}

// onlyKeyFor serves tokens without a kid: accepted only when exactly one
// usable key fits the alg, so a kid-less token can never be checked against
// a key chosen by trial.
func (s *keySnapshot) onlyKeyFor(alg string) (*verificationKey, error) {
	var found *verificationKey
	for _, k := range s.all {
		if k.fits(alg) {
			if found != nil {
				return nil, tokenErr(CheckKID, "the token has no key id and several keys fit its algorithm", nil)
			}
			found = k
		}
	}
	if found == nil {
		return nil, tokenErr(CheckKID, "the token has no key id and no key fits its algorithm", nil)
	}
	return found, nil
}

// close stops the background work, waits for it, and says so in the log:
// from now on the keys are never refreshed, and Ready reports false.
// Requests in flight may still call lookup; none of them starts a refresh.
func (s *keySource) close() {
	if !s.retire() {
		return // dropped or retired before: said so then
	}
	if s.keys.Load() != nil {
		s.cfg.Logger.InfoContext(
			s.life,
			"identsphere: validator closed; signing keys are no longer refreshed",
			"issuer",
			s.cfg.Issuer,
		)
	} else {
		s.cfg.Logger.WarnContext(s.life, "identsphere: validator closed before signing "+
			"keys loaded; every token is refused",
			"issuer", s.cfg.Issuer, "error", s.err())
	}
	s.cfg.Observer.Happened(s.life, Event{Kind: EventClosed, Issuer: s.cfg.Issuer})
}

// retire is close without its log and event, for an issuer its template
// evicts (the template says why): it stops the background work and waits
// for it. It reports whether it stopped it, rather than a close before.
func (s *keySource) retire() bool {
	first := s.halt()
	s.wg.Wait()
	if first {
		closeIdle(s.client)
	}
	return first
}

// halt stops the background work without waiting for it: a step not yet
// started never runs, and none is scheduled or started from now on. It
// may run within a step (a failed first load ends its key source so). It
// reports whether this call stopped it, rather than one before.
func (s *keySource) halt() bool {
	s.kidMu.Lock()
	s.stepMu.Lock()
	first := !s.isClosed.Swap(true)
	if first && s.step != nil && s.step.Stop() { // it will never run
		s.wg.Done()
	}
	s.stepMu.Unlock()
	s.kidMu.Unlock()
	if first {
		close(s.closed)
		s.cancel()
	}
	return first
}
