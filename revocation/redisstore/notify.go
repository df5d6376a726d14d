package redisstore

import "github.com/identsphere/identsphere-go/core"

var _ core.RevocationNotifier = (*Store)(nil)

// RevocationsChanged implements core.RevocationNotifier: the channel is
// closed after the next denial this replica applies, its own or one
// published by another replica (or read again on a resynchronisation), so
// that a stream's core.Lease on any replica ends as soon as the denial
// arrives.
func (s *Store) RevocationsChanged() <-chan struct{} { return s.deny.RevocationsChanged() }
