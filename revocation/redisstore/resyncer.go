package redisstore

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// Retries of a resynchronisation that did not complete, within a session
// that goes on applying what is published meanwhile.
const (
	// resyncRetryMin and resyncRetryMax bound the backoff after a failed
	// read (Redis slow, a page refused).
	resyncRetryMin = time.Second
	resyncRetryMax = time.Minute
	// overCapacityRetry is how often a replica over capacity reads every
	// denial again, to learn whether enough have expired: reading more than
	// MaxEntries keys is costly, so not every few seconds.
	overCapacityRetry = time.Minute
)

// errOverCapacity ends a resynchronisation that found more keys than
// Config.MaxEntries: what it read is loaded, the rest is not.
var errOverCapacity = errors.New("more denials in Redis than Config.MaxEntries")

// resyncer reads every denial of one session in the background, while the
// session goes on applying what is published: at the session's start,
// again when asked (an unreadable message may have been a denial), and
// again after a read that failed or found more than MaxEntries keys. A
// resynchronisation never stops the replica from applying new denials.
type resyncer struct {
	s      *Store
	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	synced atomic.Bool // a read completed in this session
}

// startResyncer starts the session's reads; stop ends them.
func (s *Store) startResyncer(ctx context.Context) *resyncer {
	ctx, cancel := context.WithCancel(ctx)
	r := &resyncer{s: s, kick: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go r.loop(ctx)
	return r
}

// request asks for another read of every denial; requests made while one
// runs or waits are merged.
func (r *resyncer) request() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// stop ends the reads and waits for them: the status they set cannot
// change after stop returns.
func (r *resyncer) stop() {
	r.cancel()
	<-r.done
}

// reached reports whether a read completed in this session.
func (r *resyncer) reached() bool { return r.synced.Load() }

func (r *resyncer) loop(ctx context.Context) {
	defer close(r.done)
	retry := resyncRetryMin
	for {
		err := r.s.resync(ctx)
		if ctx.Err() != nil {
			return
		}
		var wait time.Duration // 0: until asked again
		switch {
		case err == nil:
			r.synced.Store(true)
			r.s.markSynced()
			retry = resyncRetryMin
		case errors.Is(err, errOverCapacity):
			r.s.markIncomplete(err, true)
			wait = overCapacityRetry
		default:
			r.s.markIncomplete(err, false)
			wait, retry = retry, min(2*retry, resyncRetryMax)
		}
		if !r.wait(ctx, wait) {
			return
		}
	}
}

// wait blocks until asked again or, if d > 0, until d has passed. It
// reports false when the session ends.
func (r *resyncer) wait(ctx context.Context, d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-r.kick:
	case <-timeout:
	}
	return true
}
