package core

import (
	"sync"
	"sync/atomic"
)

// RevocationNotifier is implemented by the revocation checkers that can
// say when a denial arrives, so that what holds a token for long (a
// stream's Lease) learns of a revocation at once instead of polling.
// Denylist implements it, and so does revocation/redisstore's Store (a
// denial issued on any replica arrives on every one). Lookups
// (RevocationChecker.Revoked) cost what they cost without it.
type RevocationNotifier interface {
	// RevocationsChanged returns a channel that is closed when the next
	// denial is recorded, whatever it denies. Take the channel, then ask
	// Revoked, then wait on the channel: a denial between the two is not
	// missed. However many wait, a denial costs one close.
	RevocationsChanged() <-chan struct{}
}

var _ RevocationNotifier = (*Denylist)(nil)

// RevocationsChanged implements RevocationNotifier: the channel is closed
// after the next Revoke or Deny call, once its denial is in force.
func (d *Denylist) RevocationsChanged() <-chan struct{} { return d.changed.wait() }

// revocationSignal is a broadcast of "a denial was recorded": one channel,
// closed at the next denial, made again when someone next waits. A denial
// that nobody waits for costs an atomic load, so that applying a whole
// store's denials (a resynchronisation) costs what it did.
type revocationSignal struct {
	watched atomic.Bool
	mu      sync.Mutex
	ch      chan struct{}
}

func (s *revocationSignal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	s.watched.Store(true)
	return s.ch
}

// notify closes the channel of those waiting, if any.
func (s *revocationSignal) notify() {
	if !s.watched.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
	s.watched.Store(false)
}
