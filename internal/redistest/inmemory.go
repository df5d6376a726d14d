package redistest

import (
	"time"

	"github.com/alicebob/miniredis/v2"
)

// clockTick is how often the in-process server's TTLs follow the wall
// clock, as a real Redis' do: keys expire at most this late.
const clockTick = 200 * time.Millisecond

// inMemory is an in-process server speaking the Redis protocol
// (miniredis): pub/sub, SCAN, SET NX/PXAT, EVAL/EVALSHA with Lua, AUTH,
// TTLs. Its TTLs follow the wall clock: a goroutine fast-forwards them,
// until the test ends.
type inMemory struct {
	mr      *miniredis.Miniredis
	done    chan struct{}
	stopped chan struct{}
}

// startInMemory starts the in-process server on a free loopback port,
// stopped when the test ends.
func (r *Server) startInMemory() {
	r.t.Helper()
	mr := miniredis.NewMiniRedis()
	if r.password != "" {
		mr.RequireAuth(r.password)
	}
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		r.t.Fatalf("starting the in-process Redis: %v", err)
	}
	r.port = mr.Server().Addr().Port
	m := &inMemory{mr: mr, done: make(chan struct{}), stopped: make(chan struct{})}
	r.mem = m
	go m.followClock()
	r.t.Cleanup(func() {
		close(m.done)
		<-m.stopped
		mr.Close()
	})
}

// followClock makes the TTLs run down in real time.
func (m *inMemory) followClock() {
	defer close(m.stopped)
	t := time.NewTicker(clockTick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-m.done:
			return
		case now := <-t.C:
			m.mr.FastForward(now.Sub(last))
			last = now
		}
	}
}

// stop closes the listener and every connection; the data stays.
func (m *inMemory) stop() { m.mr.Close() }

// restart listens on the same port again; without persistence the data is
// gone first, as with a redis-server that keeps none.
func (m *inMemory) restart(persist bool) error {
	if !persist {
		m.mr.FlushAll()
	}
	return m.mr.Restart()
}
