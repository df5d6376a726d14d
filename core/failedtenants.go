package core

import (
	"sync"
	"time"
)

// failedTenants remembers the tenants whose first key load failed, each
// until it may be tried again, at most max of them. One template's tenants
// all wait the same RetryFailedAfter, so the order they failed in is the
// order they expire in: the oldest is dropped first, whether it expired
// or room is needed.
type failedTenants struct {
	max int

	mu    sync.RWMutex
	until map[string]time.Time
	order []string // oldest first; holds each tenant of until once
}

func newFailedTenants(max int) *failedTenants {
	return &failedTenants{max: max, until: map[string]time.Time{}}
}

// has reports whether tenant failed and may not be tried again yet.
func (f *failedTenants) has(tenant string, now time.Time) bool {
	f.mu.RLock()
	until, ok := f.until[tenant]
	f.mu.RUnlock()
	return ok && now.Before(until)
}

// add remembers tenant as failed until then, forgetting the tenants that
// expired by now, and the oldest if there is no room.
func (f *failedTenants) add(tenant string, now, until time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.until[tenant]; ok { // tried again and failed again
		f.forget(tenant)
	}
	for len(f.order) > 0 && (len(f.order) >= f.max || !now.Before(f.until[f.order[0]])) {
		delete(f.until, f.order[0])
		f.order = f.order[1:]
	}
	f.until[tenant] = until
	f.order = append(f.order, tenant)
}

// forget removes tenant from order; the caller holds mu and deletes it
// from until.
func (f *failedTenants) forget(tenant string) {
	for i, t := range f.order {
		if t == tenant {
			f.order = append(f.order[:i:i], f.order[i+1:]...)
			break
		}
	}
	delete(f.until, tenant)
}

// len is how many tenants are remembered, expired or not.
func (f *failedTenants) len() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.order)
}
