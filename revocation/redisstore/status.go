package redisstore

import "time"

// Status is what a Store knows of its own state: for a readiness probe,
// metrics and logs. It names no address and no error: those go to the
// Store's log.
type Status struct {
	// Synced: in sync with Redis now (see Store.Synced). Fresh routes
	// refuse while it is false, unless Config.FreshFailOpen.
	Synced bool
	// SyncedOnce: in sync at least once since New. A replica that never
	// was knows no denial issued before it started (see Store.WaitSynced);
	// one that was, and lost Redis since, keeps what it knew.
	SyncedOnce bool
	// OverCapacity: the last read of every denial found more keys under
	// Config.KeyPrefix than Config.MaxEntries. The replica holds what it
	// read (MaxEntries of them) and every denial published since, but
	// misses the rest: it is not in sync until a read completes (retried
	// every minute). Raise MaxEntries, or shorten what the denials last
	// (see Config.MaxEntries).
	OverCapacity bool
	// LastSynced is the last moment the replica was known in sync: now
	// while Synced, when it lost sync otherwise; zero if never.
	LastSynced time.Time
	// Denials is how many denials the replica holds (Store.Len).
	Denials int
	// Pending is how many revocations wait to be written to Redis
	// (Store.Pending).
	Pending int
}

// Status returns the Store's state now.
func (s *Store) Status() Status {
	st := Status{
		Synced:       s.inSync.Load(),
		OverCapacity: s.overCapacity.Load(),
		Denials:      s.Len(),
		Pending:      s.Pending(),
	}
	select {
	case <-s.firstSync:
		st.SyncedOnce = true
	default:
	}
	switch {
	case st.Synced:
		st.LastSynced = s.cfg.Now()
	case s.lastInSync.Load() != 0:
		st.LastSynced = time.UnixMilli(s.lastInSync.Load())
	}
	return st
}

// markSynced records a completed read of every denial.
func (s *Store) markSynced() {
	s.overCapacity.Store(false)
	s.inSync.Store(true)
	s.lastInSync.Store(s.nowMillis())
	s.syncOnce.Do(func() { close(s.firstSync) })
}

// markIncomplete records a read of every denial that did not complete:
// the replica is out of sync, and keeps applying what is published.
func (s *Store) markIncomplete(err error, overCapacity bool) {
	s.lostSync()
	s.overCapacity.Store(overCapacity)
	s.setLastError(err)
	if overCapacity {
		s.log.Error("redisstore: more denials in Redis than Config.MaxEntries: this replica holds only part of them, "+
			"so fresh routes refuse (503) and tokens revoked before it read them may pass; it applies every new "+
			"denial meanwhile and reads them all again every minute: raise MaxEntries or shorten what denials last",
			"max_entries", s.cfg.MaxEntries, "denials_held", s.Len(), "retry_in", overCapacityRetry, "addr", s.addr)
		return
	}
	s.log.Warn("redisstore: reading every denial failed: out of sync, applying new denials meanwhile, retrying",
		"addr", s.addr, "err", err)
}

// lostSync marks the replica out of sync, remembering when it last was.
func (s *Store) lostSync() {
	if s.inSync.Swap(false) {
		s.lastInSync.Store(s.nowMillis())
	}
}
