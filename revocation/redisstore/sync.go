package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// Reconnection backoff: doubled after each failed attempt, reset once a
// session has synchronised.
const (
	minRetry = 50 * time.Millisecond
	maxRetry = 2 * time.Second
)

// run keeps a session with Redis until Close: subscribe, write what is
// pending, read every denial while applying what is published. Whatever
// ends a session, the next one starts from the subscription again, so
// nothing published while disconnected is missed.
func (s *Store) run() {
	defer s.wg.Done()
	wait, failures := minRetry, 0
	for {
		synced, err := s.session()
		s.lostSync()
		if s.ctx.Err() != nil {
			return
		}
		s.setLastError(err)
		switch {
		case synced:
			wait, failures = minRetry, 0
			s.log.Warn(
				"redisstore: lost Redis: the revocations known so far stay in "+
					"force; new ones from other replicas wait until it is back",
				"addr",
				s.addr,
				"err",
				err,
			)
		case failures == 0:
			s.log.Warn("redisstore: cannot synchronise with Redis, retrying", "addr", s.addr, "err", err)
		default:
			s.log.Debug(
				"redisstore: cannot synchronise with Redis, retrying",
				"addr",
				s.addr,
				"err",
				err,
				"retry_in",
				wait,
			)
		}
		if !synced {
			failures++
		}
		timer := time.NewTimer(wait)
		select {
		case <-s.ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		wait = min(2*wait, maxRetry)
	}
}

// session runs one connection to Redis. It reports whether it reached sync,
// and why it ended. Once subscribed, it applies what is published whatever
// the reading of every denial does (slow, failing, more than MaxEntries):
// that read runs beside it (resyncer).
func (s *Store) session() (synced bool, err error) {
	ctx := s.ctx
	ps := s.client.Subscribe(ctx) // no channel yet: no I/O
	if !s.track(ps) {
		_ = ps.Close()
		return false, errors.New("closed")
	}
	defer s.untrack(ps)

	callCtx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	err = ps.Subscribe(callCtx, s.cfg.Channel)
	cancel()
	if err != nil {
		return false, fmt.Errorf("subscribing: %w", err)
	}
	msg, err := receive(ctx, ps, s.cfg.Timeout)
	if err != nil {
		return false, fmt.Errorf("subscribing: %w", err)
	}
	if sub, ok := msg.(*redis.Subscription); !ok || sub.Kind != "subscribe" || sub.Channel != s.cfg.Channel {
		return false, fmt.Errorf("subscribing: unexpected answer %T", msg)
	}
	// Subscribed: whatever is written from now on is published to us, and
	// whatever was written before is read by the resyncer.
	s.flushLogged(ctx)
	r := s.startResyncer(ctx)
	err = s.listen(ctx, ps, r)
	r.stop()
	return r.reached(), err
}

// listen applies what is published until the connection fails. A silent
// connection is pinged every HealthInterval; no answer within another one
// ends the session. Pending writes are retried on each health tick.
func (s *Store) listen(ctx context.Context, ps *redis.PubSub, r *resyncer) error {
	pinged := false
	lastResync := time.Now()
	unreadable := 0 // messages since the last resynchronisation
	var why error
	for {
		msg, err := receive(ctx, ps, s.cfg.HealthInterval)
		switch {
		case isTimeout(err) && ctx.Err() == nil:
			if pinged {
				return fmt.Errorf("no answer to a ping within %v", s.cfg.HealthInterval)
			}
			callCtx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
			err = ps.Ping(callCtx)
			cancel()
			if err != nil {
				return fmt.Errorf("pinging: %w", err)
			}
			pinged = true
			if s.pending.len() > 0 {
				s.flushLogged(ctx)
			}
		case err != nil:
			return err
		default:
			pinged = false
			switch m := msg.(type) {
			case *redis.Message:
				if err := s.onMessage(m); err != nil {
					unreadable++
					why = err
				}
			case *redis.Subscription:
				// go-redis reconnected under us: messages may be lost.
				if m.Kind != "subscribe" {
					return fmt.Errorf("unsubscribed from %q", m.Channel)
				}
				unreadable++
				why = errors.New("resubscribed")
			}
		}
		// A message that could not be read may have been a denial: read
		// every key again, at most once per HealthInterval however many.
		if unreadable > 0 && time.Since(lastResync) >= s.cfg.HealthInterval {
			s.log.Warn("redisstore: unreadable messages on the revocation channel: reading every denial again",
				"count", unreadable, "why", why, "channel", s.cfg.Channel, "addr", s.addr)
			r.request()
			unreadable, lastResync = 0, time.Now()
		}
	}
}

// onMessage applies a published denial, or says why it cannot.
func (s *Store) onMessage(m *redis.Message) error {
	if m.Channel != s.cfg.Channel {
		return nil
	}
	e, err := parseMessage(m.Payload)
	if errors.Is(err, errFirstFormat) {
		if s.firstFormatLogged.CompareAndSwap(false, true) {
			s.log.Warn(
				"redisstore: ignoring revocations published by replicas of an earlier version (their denials name no "+
					"issuer, so they cannot be applied safely); upgrade every replica (logged once)",
				"channel",
				s.cfg.Channel,
				"addr",
				s.addr,
			)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("%d bytes: %w", len(m.Payload), err)
	}
	if e.until > s.nowMillis() {
		e.apply(s.deny)
	}
	return nil
}

// flushLogged writes the pending denials; a failure is logged, and retried
// on the next health tick or session.
func (s *Store) flushLogged(ctx context.Context) {
	if _, err := s.flush(ctx); err != nil {
		s.log.Warn(
			"redisstore: pending revocations not written yet",
			"pending",
			s.pending.len(),
			"addr",
			s.addr,
			"err",
			err,
		)
	}
}

// receive is ps.ReceiveTimeout, with go-redis's panics on malformed
// replies turned into an error: a Redis that lies must not bring the
// service down. The session then ends, and the next one starts afresh.
func receive(ctx context.Context, ps *redis.PubSub, timeout time.Duration) (msg any, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg, err = nil, fmt.Errorf("malformed pub/sub reply from Redis: %v", r)
		}
	}()
	return ps.ReceiveTimeout(ctx, timeout)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// track records ps as the live subscription, unless the Store is closed.
func (s *Store) track(ps *redis.PubSub) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.ps = ps
	return true
}

// untrack closes ps and forgets it.
func (s *Store) untrack(ps *redis.PubSub) {
	s.mu.Lock()
	if s.ps == ps {
		s.ps = nil
	}
	s.mu.Unlock()
	_ = ps.Close()
}
