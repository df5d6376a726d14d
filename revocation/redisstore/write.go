package redisstore

import (
	"context"
	"sync"
)

// writeScript stores a denial and publishes it, atomically, in one round
// trip: a replica that receives the message can already read the key.
// A denial already stored under the key and still in force keeps the later
// of each time, so writes in any order end alike. Whatever else is under
// the key (garbage, another type) is overwritten: a revocation must land.
//
//	KEYS[1] the entry's key
//	ARGV[1] since, ARGV[2] until (unix ms)
//	ARGV[3] the margin the key outlives until by (ms)
//	ARGV[4] now (unix ms), ARGV[5] the channel, ARGV[6] the message
const writeScript = `
local since = tonumber(ARGV[1])
local untl = tonumber(ARGV[2])
local cur = redis.pcall('GET', KEYS[1])
if type(cur) == 'string' then
  local s, u = string.match(cur, '^(%d+) (%d+)$')
  if s and tonumber(u) > tonumber(ARGV[4]) then
    since = math.max(since, tonumber(s))
    untl = math.max(untl, tonumber(u))
  end
end
redis.call('SET', KEYS[1], string.format('%.0f %.0f', since, untl),
  'PXAT', string.format('%.0f', untl + tonumber(ARGV[3])))
return redis.call('PUBLISH', ARGV[5], ARGV[6])
`

// write stores e in Redis and publishes it, within Timeout.
func (s *Store) write(ctx context.Context, e entry) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	return s.script.Run(ctx, s.client, []string{e.key(s.cfg.KeyPrefix)},
		e.since, e.until, s.cfg.ExpiryMargin.Milliseconds(), s.nowMillis(),
		s.cfg.Channel, e.message()).Err()
}

// flush writes the pending denials, and stops at the first
// failure (Redis is likely down again). It returns how many it wrote.
func (s *Store) flush(ctx context.Context) (int, error) {
	n := 0
	for _, e := range s.pending.snapshot() {
		if e.until <= s.nowMillis() {
			s.pending.remove(e) // nothing left to deny
			continue
		}
		if err := s.write(ctx, e); err != nil {
			return n, err
		}
		s.pending.remove(e)
		n++
	}
	if n > 0 {
		s.log.Info("redisstore: wrote the revocations issued while Redis was unreachable", "count", n, "addr", s.addr)
	}
	return n, nil
}

// outbox holds the denials that could not be written to Redis yet, one per
// denied id. Order does not matter: writes merge (the later of each time).
type outbox struct {
	max int

	mu      sync.Mutex
	entries map[string]entry
}

// add queues e, merged with what is queued for the same id (the later of
// each time). It reports false when the outbox is full and e is new.
func (o *outbox) add(e entry) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := e.pendingKey()
	if old, ok := o.entries[k]; ok {
		old.since, old.until = max(old.since, e.since), max(old.until, e.until)
		o.entries[k] = old
		return true
	}
	if len(o.entries) >= o.max {
		return false
	}
	if o.entries == nil {
		o.entries = map[string]entry{}
	}
	o.entries[k] = e
	return true
}

// snapshot returns the queued entries.
func (o *outbox) snapshot() []entry {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]entry, 0, len(o.entries))
	for _, e := range o.entries {
		out = append(out, e)
	}
	return out
}

// remove drops e once written, unless a later add changed it meanwhile.
func (o *outbox) remove(e entry) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if k := e.pendingKey(); o.entries[k] == e {
		delete(o.entries, k)
	}
}

// sweep drops the entries whose denial has ended.
func (o *outbox) sweep(nowMillis int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, e := range o.entries {
		if e.until <= nowMillis {
			delete(o.entries, k)
		}
	}
}

func (o *outbox) len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.entries)
}
