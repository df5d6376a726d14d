package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/redis/go-redis/v9"
)

const (
	// scanCount is the COUNT hint of each SCAN: one page, then one
	// pipelined GET of its keys.
	scanCount = 1000
	// resyncTimeout bounds a whole resynchronisation.
	resyncTimeout = 2 * time.Minute
	// garbageDenial is how long a key under the prefix that holds no
	// readable denial, and has no expiry, denies what its name says.
	garbageDenial = 24 * time.Hour
	// maxLoggedKey bounds a key quoted in a log line.
	maxLoggedKey = 128
)

// tally counts what a resynchronisation read, for one log line per
// resynchronisation however many keys are odd.
type tally struct {
	read                int
	ignored, unreadable int
	firstFormat         int // keys of the first format (no issuer), ignored
	firstIgnored        string
	firstUnreadable     string
	firstIgnoredBecause error
}

// resync reads every denial under the key prefix into memory, in time
// linear in the keys of the database (SCAN) and bounded by MaxEntries and
// resyncTimeout. Denials held in memory stay: denials only expire. Past
// MaxEntries keys it loads the first MaxEntries and returns an error
// wrapping errOverCapacity.
func (s *Store) resync(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, resyncTimeout)
	defer cancel()
	start := time.Now()
	pattern := globEscape(s.cfg.KeyPrefix) + "*"
	maxPages := max(1000, 4*s.cfg.MaxEntries/scanCount)
	var cursor uint64
	var n tally
	defer s.logOdd(&n)
	for page := 0; ; page++ {
		if page == maxPages {
			return fmt.Errorf(
				"resynchronising: still scanning after %d pages: give the Store a database of its own",
				page,
			)
		}
		callCtx, cancelCall := context.WithTimeout(ctx, s.cfg.Timeout)
		keys, next, err := s.client.Scan(callCtx, cursor, pattern, scanCount).Result()
		cancelCall()
		if err != nil {
			return fmt.Errorf("resynchronising: SCAN: %w", err)
		}
		over := n.read+len(keys) > s.cfg.MaxEntries
		if over {
			keys = keys[:s.cfg.MaxEntries-n.read] // load what fits, then stop
		}
		n.read += len(keys)
		if err := s.load(ctx, keys, &n); err != nil {
			return err
		}
		if over {
			s.deny.Sweep()
			return fmt.Errorf(
				"resynchronising: read %d keys under the prefix, and there are more: %w",
				n.read,
				errOverCapacity,
			)
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	held := s.deny.Sweep()
	s.log.Info("redisstore: synchronised with Redis", "addr", s.addr, "keys_read", n.read, "denials_held", held,
		"unreadable", n.unreadable, "ignored", n.ignored, "first_format", n.firstFormat, "took", time.Since(start))
	return nil
}

// logOdd logs, once, the keys a resynchronisation ignored or applied fail
// closed.
func (s *Store) logOdd(n *tally) {
	if n.firstFormat > 0 {
		s.log.Warn(
			"redisstore: ignoring keys written by replicas of an earlier version (their denials name no issuer, so "+
				"they cannot be applied safely); they expire by themselves: upgrade every replica",
			"count",
			n.firstFormat,
			"addr",
			s.addr,
		)
	}
	if n.ignored > 0 {
		s.log.Warn(
			"redisstore: ignoring keys under the prefix that name no denial "+
				"(is another fleet's prefix an extension of this one?)",
			"count",
			n.ignored,
			"first",
			n.firstIgnored,
			"why",
			n.firstIgnoredBecause,
			"addr",
			s.addr,
		)
	}
	if n.unreadable > 0 {
		s.log.Warn(
			"redisstore: keys under the prefix hold no readable denial: "+
				"denying what they name until they expire (fail closed)",
			"count",
			n.unreadable,
			"first",
			n.firstUnreadable,
			"addr",
			s.addr,
		)
	}
}

// load reads the values of keys and applies them. Keys whose value is no
// denial are applied fail closed (loadUnreadable).
func (s *Store) load(ctx context.Context, keys []string, n *tally) error {
	entries := make([]entry, 0, len(keys))
	for _, k := range keys {
		e, err := parseKey(s.cfg.KeyPrefix, k)
		if errors.Is(err, errFirstFormat) {
			n.firstFormat++
			continue
		}
		if err != nil {
			if n.ignored++; n.ignored == 1 {
				n.firstIgnored, n.firstIgnoredBecause = logKey(k), err
			}
			continue
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	cmds := make([]*redis.StringCmd, len(entries))
	// Each command's own error is read below.
	_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, e := range entries {
			cmds[i] = p.Get(ctx, e.key(s.cfg.KeyPrefix))
		}
		return nil
	})
	now := s.nowMillis()
	var bad []entry
	for i, cmd := range cmds {
		v, err := cmd.Result()
		switch {
		case errors.Is(err, redis.Nil):
			continue // expired since the SCAN
		case isWrongType(err):
			bad = append(bad, entries[i])
			continue
		case err != nil:
			return fmt.Errorf("resynchronising: GET: %w", err)
		}
		e, err := parseValue(entries[i], v)
		if err != nil {
			bad = append(bad, entries[i])
			continue
		}
		if e.until > now {
			e.apply(s.deny)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	if n.unreadable == 0 {
		n.firstUnreadable = logKey(bad[0].key(s.cfg.KeyPrefix))
	}
	n.unreadable += len(bad)
	return s.loadUnreadable(ctx, bad)
}

// loadUnreadable applies, fail closed, keys whose value is no denial
// (garbage, another type): the key's name says what is denied, so it is
// denied until the key expires (or for garbageDenial if it never does);
// for a subject, every token a Validator may accept meanwhile, whatever
// its iat.
func (s *Store) loadUnreadable(ctx context.Context, bad []entry) error {
	cmds := make([]*redis.DurationCmd, len(bad))
	_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, e := range bad {
			cmds[i] = p.PTTL(ctx, e.key(s.cfg.KeyPrefix))
		}
		return nil
	})
	now := s.nowMillis()
	for i, cmd := range cmds {
		ttl, err := cmd.Result()
		if err != nil {
			return fmt.Errorf("resynchronising: PTTL: %w", err)
		}
		e := bad[i]
		switch {
		case ttl == -2:
			continue // gone
		case ttl < 0: // no expiry
			e.until = now + garbageDenial.Milliseconds()
		default:
			e.until = now + max(ttl.Milliseconds(), 1)
		}
		if e.kind == kindSubject {
			// Every iat a Validator accepts while the denial lasts.
			e.since = e.until + core.MaxLeeway.Milliseconds()
		}
		e.apply(s.deny)
	}
	return nil
}

// isWrongType reports Redis' answer to a GET on a key of another type.
func isWrongType(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && strings.HasPrefix(err.Error(), "WRONGTYPE")
}

// globEscape makes s match itself in a SCAN MATCH pattern.
func globEscape(s string) string {
	var b strings.Builder
	for i := range len(s) {
		if strings.IndexByte(`\*?[]`, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// logKey bounds a key for a log line (slog quotes what it must).
func logKey(k string) string {
	if len(k) > maxLoggedKey {
		return k[:maxLoggedKey] + "..."
	}
	return k
}
