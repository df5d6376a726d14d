package core

import (
	"sync"
	"time"
)

// answerCache keeps introspection answers by token digest until their
// time is up. It holds at most maxIntrospectionEntries: when full, expired
// answers go first, then all of them (a full cache only costs calls).
type answerCache[V any] struct {
	mu sync.Mutex
	m  map[[32]byte]cachedAnswer[V]
}

type cachedAnswer[V any] struct {
	v     V
	until time.Time
}

func (c *answerCache[V]) get(d [32]byte, now time.Time) (V, bool) {
	c.mu.Lock()
	a, ok := c.m[d]
	c.mu.Unlock()
	if !ok || !now.Before(a.until) {
		var zero V
		return zero, false
	}
	return a.v, true
}

func (c *answerCache[V]) put(d [32]byte, v V, until, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[[32]byte]cachedAnswer[V]{}
	}
	if len(c.m) >= maxIntrospectionEntries {
		for k, old := range c.m {
			if !now.Before(old.until) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxIntrospectionEntries {
			clear(c.m)
		}
	}
	c.m[d] = cachedAnswer[V]{v, until}
}
