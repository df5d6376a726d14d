package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/redis/go-redis/v9"
)

// ErrPending wraps the error of a revocation that is in force on the
// replica that issued it but could not be written to Redis (unreachable,
// too slow): it is queued and written, then published to the other
// replicas, as soon as Redis answers again. Until then the other replicas
// do not know it. Retrying the call is harmless: revocations merge.
// It wraps core.ErrRevocationPending, which receivers such as package
// backchannel understand without importing this package.
var ErrPending = fmt.Errorf(
	"redisstore: revocation in force on this replica only, queued for Redis: %w",
	core.ErrRevocationPending,
)

// errNoClaims refuses a lookup without claims (fail closed).
var errNoClaims = errors.New("redisstore: no claims to check")

// Store is a core.RevocationChecker shared by every replica of a service
// through Redis, without a Redis round trip per request: each replica holds
// every denial in memory (a core.Denylist), and learns new ones from a
// Redis pub/sub channel. Revocations are keyed by issuer and jti, sid or
// sub (each unique only per issuer), never by the token string: ES256 signatures are malleable, so one token has
// several valid encodings.
//
// It is also a core.FreshnessChecker, for routes that must not rely on a
// replica that may have missed a revocation (see Config.FreshFailOpen).
// It is safe for concurrent use.
type Store struct {
	cfg       Config
	client    *redis.Client
	ownClient bool
	addr      string // host:port and database, for logs: never the password
	log       *slog.Logger
	script    *redis.Script
	deny      *core.Denylist
	pending   outbox

	inSync       atomic.Bool
	overCapacity atomic.Bool   // the last read found more than MaxEntries keys
	lastInSync   atomic.Int64  // unix ms: the last moment known in sync (0: never)
	firstSync    chan struct{} // closed at the first completed synchronisation
	syncOnce     sync.Once
	lastErr      atomic.Pointer[error]
	// firstFormatLogged is set once a message of the first format (no
	// issuer) has been logged: such messages are ignored, logged once.
	firstFormatLogged atomic.Bool

	ctx    context.Context // the background work's; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	ps     *redis.PubSub // the live subscription, closed by Close
	closed bool

	closeOnce sync.Once
	done      chan struct{} // closed once Close has stopped everything
}

var (
	_ core.RevocationChecker = (*Store)(nil)
	_ core.FreshnessChecker  = (*Store)(nil)
)

// New checks cfg and starts the Store's background work: subscribing to
// Config.Channel, writing what is pending, then reading every denial under
// Config.KeyPrefix, again on every reconnection (pub/sub drops what is
// published while a replica is disconnected; the full read makes up for
// it). It does no network I/O itself, so it never blocks and never fails
// because Redis is down: use WaitSynced to wait for the first
// synchronisation, Status().SyncedOnce for a readiness probe.
//
// A replica that starts while Redis is down knows no revocation until
// Redis answers: Revoked admits every token that is otherwise valid, and
// CheckFresh refuses (503) unless Config.FreshFailOpen. Revocations issued
// meanwhile are in force on the replica that issued them and written when
// Redis answers.
//
// What the context governs: only New itself, and the values it carries
// (handed to the Logger). The background work lives until Close, not until
// ctx ends: a start-up context with a timeout must not silently stop
// revocations from arriving minutes later. A ctx that is already done is
// refused.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("redisstore: New: the context is already done: %w", err)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	client, own, err := cfg.client()
	if err != nil {
		return nil, err
	}
	opts := client.Options()
	s := &Store{
		cfg:       cfg,
		client:    client,
		ownClient: own,
		addr:      opts.Addr + "/" + strconv.Itoa(opts.DB),
		log:       cfg.Logger,
		script:    redis.NewScript(writeScript),
		deny:      core.NewDenylist(cfg.Now),
		pending:   outbox{max: cfg.MaxPending},
		firstSync: make(chan struct{}),
		done:      make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.wg.Add(2)
	go s.run()
	go s.sweepLoop()
	return s, nil
}

// RevokeToken denies issuer's token with this jti, on every replica, until
// its exp (plus core.MaxLeeway, during which a Validator may still accept
// it). issuer is the token's core.Claims.AdmittedBy: a denial denies only
// the tokens of its issuer, since a jti is unique only per issuer. Denial
// is by jti, never by the token string: ES256 signatures are malleable, so
// the same token has more than one valid encoding.
//
// The denial is in force on this replica when RevokeToken returns, whatever
// happens with Redis. nil means Redis has it (every replica in sync has it,
// or will within moments; a replica that reconnects reads it). An error
// wrapping ErrPending means Redis could not be reached within
// Config.Timeout: the denial is queued and written when Redis answers.
// Any other error means it is in force on this replica only.
func (s *Store) RevokeToken(ctx context.Context, issuer, jti string, exp time.Time) error {
	if exp.IsZero() {
		return errors.New("redisstore: RevokeToken: exp is required")
	}
	return s.revoke(ctx, entry{kind: kindToken, issuer: issuer, id: jti, until: ceilMillis(exp.Add(core.MaxLeeway))})
}

// RevokeSession denies every token of issuer's session sid (logout), on
// every replica, until until: the exp of the session's last token (plus
// core.MaxLeeway). It denies only issuer's tokens (a sid is unique only
// per issuer). Denial is by sid, never by the token string (ES256
// signatures are malleable). What is in force where when it returns: as
// for RevokeToken.
func (s *Store) RevokeSession(ctx context.Context, issuer, sid string, until time.Time) error {
	if until.IsZero() {
		return errors.New("redisstore: RevokeSession: until is required")
	}
	return s.revoke(
		ctx,
		entry{kind: kindSession, issuer: issuer, id: sid, until: ceilMillis(until.Add(core.MaxLeeway))},
	)
}

// RevokeSubject denies, on every replica, every token of issuer's sub
// (a sub is unique only per issuer) issued until now (an account disabled, a password changed), for maxLifetime: the
// longest lifetime of a token the issuer mints. As core.Denylist's
// RevokeSubject: "until now" is read with core.MaxLeeway to spare (tokens
// minted within that minute are denied too) and the denial lasts
// maxLifetime plus twice core.MaxLeeway; tokens without iat are denied.
// Denial is by sub, never by the token string (ES256 signatures are
// malleable). What is in force where when it returns: as for RevokeToken.
func (s *Store) RevokeSubject(ctx context.Context, issuer, sub string, maxLifetime time.Duration) error {
	if maxLifetime <= 0 {
		return errors.New("redisstore: RevokeSubject: maxLifetime must be positive")
	}
	since := s.cfg.Now().Add(core.MaxLeeway)
	return s.revoke(
		ctx,
		entry{
			kind:   kindSubject,
			issuer: issuer,
			id:     sub,
			since:  ceilMillis(since),
			until:  ceilMillis(since.Add(maxLifetime + core.MaxLeeway)),
		},
	)
}

// revoke applies e here at once, then writes it to Redis, or queues it.
func (s *Store) revoke(ctx context.Context, e entry) error {
	if err := e.check(); err != nil {
		return fmt.Errorf("redisstore: revoking a %s: %w", e.kind, err)
	}
	if e.until <= s.nowMillis() {
		return nil // no token it names can still be valid
	}
	e.apply(s.deny)
	if s.isClosed() {
		return errors.New("redisstore: store closed: the revocation is in force on this replica only")
	}
	err := s.write(ctx, e)
	if err == nil {
		return nil
	}
	if !s.pending.add(e) {
		s.log.Error(
			"redisstore: Redis unreachable and too many revocations pending: one is in force on this replica only",
			"kind", e.kind, "issuer", e.issuer, "pending", s.pending.len(), "addr", s.addr, "err", err,
		)
		return fmt.Errorf(
			"redisstore: revocation in force on this replica only, not queued (%d pending): %w",
			s.pending.len(),
			err,
		)
	}
	s.log.Warn("redisstore: revocation not written to Redis, queued",
		"kind", e.kind, "issuer", e.issuer, "pending", s.pending.len(), "addr", s.addr, "err", err)
	return fmt.Errorf("%w: %w", ErrPending, err)
}

// Revoked implements core.RevocationChecker from memory alone: no Redis
// call, whatever the state of Redis. Only the denials of the token's
// issuer (c.AdmittedBy) count. Revocations are keyed by issuer and jti,
// sid or sub, never by the token string (ES256 signatures are malleable).
func (s *Store) Revoked(ctx context.Context, c *core.Claims) (bool, error) {
	if c == nil {
		return false, errNoClaims
	}
	return s.deny.Revoked(ctx, c)
}

// CheckFresh implements core.FreshnessChecker, for the adapters'
// RequireFresh: an invalid-token error (401) when the token is revoked, and
// an error wrapping core.ErrRevocationUnavailable (503) while this replica
// is not in sync with Redis (see Synced), unless Config.FreshFailOpen. Like
// Revoked it reads memory only; the token string is not used: revocations
// are keyed by jti, sid and sub (ES256 signatures are malleable).
func (s *Store) CheckFresh(ctx context.Context, _ string, c *core.Claims) error {
	if !s.cfg.FreshFailOpen && !s.inSync.Load() {
		return fmt.Errorf(
			"%w: redisstore: this replica is not in sync with Redis at %s",
			core.ErrRevocationUnavailable,
			s.addr,
		)
	}
	revoked, err := s.Revoked(ctx, c)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %w", core.ErrRevocationUnavailable, err)
	case revoked:
		return &core.TokenError{Check: core.CheckRevoked, Description: "the token has been revoked"}
	}
	return nil
}

// Synced reports whether this replica is in sync with Redis now: subscribed
// to the channel, with every denial read since it (re)connected (no more
// than Config.MaxEntries of them), and the connection answering its health
// checks. A lost connection is noticed at once when the network reports
// it, else within two HealthIntervals. Fresh routes (CheckFresh) follow
// it. For readiness, prefer Status().SyncedOnce: a replica that was in sync
// once keeps its denials through an outage, and taking every replica out
// of service when Redis blinks turns a Redis outage into a service outage.
func (s *Store) Synced() bool { return s.inSync.Load() }

// WaitSynced blocks until the Store has synchronised with Redis once since
// New, the Store is closed, or ctx ends. It returns nil in the first case;
// otherwise an error that names the last Redis failure.
func (s *Store) WaitSynced(ctx context.Context) error {
	select {
	case <-s.firstSync:
		return nil
	case <-s.done:
		return errors.New("redisstore: closed before the first synchronisation")
	case <-ctx.Done():
		select {
		case <-s.firstSync:
			return nil
		default:
		}
		return fmt.Errorf(
			"redisstore: waiting for the first synchronisation with Redis at %s: %w",
			s.addr,
			errors.Join(ctx.Err(), s.lastError()),
		)
	}
}

// Len returns how many denials this replica holds, expired ones included
// until the next sweep (Config.SweepInterval): for monitoring memory.
func (s *Store) Len() int { return s.deny.Len() }

// Pending returns how many revocations wait to be written to Redis.
func (s *Store) Pending() int { return s.pending.len() }

// Close stops the background work started by New and waits for it (at most
// about Config.Timeout), then closes the Redis client if the Store made it.
// Revoked keeps answering from memory; revocations issued afterwards are in
// force on this replica only. Pending revocations that were never written
// are logged as lost. Close is idempotent.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.cancel()
		s.mu.Lock()
		s.closed = true
		ps := s.ps
		s.mu.Unlock()
		if ps != nil {
			_ = ps.Close() // ends a read in progress at once
		}
		s.wg.Wait()
		s.lostSync()
		if n := s.pending.len(); n > 0 {
			s.log.Error(
				"redisstore: closed with revocations never written to Redis: the other replicas do not know them",
				"count",
				n,
				"addr",
				s.addr,
			)
		}
		if s.ownClient {
			err = s.client.Close()
		}
		close(s.done)
	})
	return err
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Store) nowMillis() int64 { return s.cfg.Now().UnixMilli() }

func (s *Store) setLastError(err error) { s.lastErr.Store(&err) }

func (s *Store) lastError() error {
	if p := s.lastErr.Load(); p != nil {
		return *p
	}
	return errors.New("no attempt finished yet")
}

// sweepLoop drops expired denials, here and in the outbox, every
// SweepInterval.
func (s *Store) sweepLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.deny.Sweep()
			s.pending.sweep(s.nowMillis())
		}
	}
}
