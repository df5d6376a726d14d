package backchannel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"github.com/identsphere/identsphere-go/core"
)

// maxReplayEntries bounds the logout tokens a Handler remembers in memory.
const maxReplayEntries = 100_000

// ReplayStore remembers, for a fleet, the logout tokens accepted by any of
// its replicas. *redisstore.ReplayCache implements it (SET NX with an
// expiry, DEL).
type ReplayStore interface {
	// Seen records key until until, atomically for the whole fleet, and
	// reports whether it was already recorded (and not yet expired).
	Seen(ctx context.Context, key string, until time.Time) (bool, error)
	// Forget drops key: the logout it names was not recorded durably, and
	// the provider will post it again.
	Forget(ctx context.Context, key string) error
}

// replayKey names a logout token for replay checks: its jti, unique only
// per issuer, with the issuer that verified it, hashed so that the key is
// short whatever their size.
func replayKey(lt *core.LogoutToken) string {
	h := sha256.New()
	h.Write([]byte(strconv.Itoa(len(lt.AdmittedBy)) + ":" + lt.AdmittedBy + ":" + lt.ID))
	return "logout:" + hex.EncodeToString(h.Sum(nil))
}

// replayUntil is how long a logout token could be accepted again: until
// it is too old by iat, or its exp has passed, each with the most leeway a
// Validator allows.
func (h *Handler) replayUntil(lt *core.LogoutToken) time.Time {
	until := lt.IssuedAt.Add(h.cfg.MaxAge + core.MaxLeeway)
	if !lt.ExpiresAt.IsZero() && lt.ExpiresAt.Add(core.MaxLeeway).Before(until) {
		until = lt.ExpiresAt.Add(core.MaxLeeway)
	}
	return until
}

// use is a logout token's replay check: whether it is its first use, and
// where it was recorded (to undo if the logout cannot be recorded).
type use struct {
	key    string
	first  bool
	shared bool // recorded in Config.Replay
}

// firstUse records the logout token, here and in Config.Replay, and
// reports whether it is new to both. When Config.Replay cannot answer,
// the token counts as new (a logout is safe to process twice: the
// revocations merge), and that is logged.
func (h *Handler) firstUse(ctx context.Context, lt *core.LogoutToken) use {
	u := use{key: replayKey(lt)}
	until := h.replayUntil(lt)
	if !h.seen.record(u.key, until, h.cfg.Now()) {
		return u
	}
	if h.cfg.Replay != nil {
		seen, err := h.cfg.Replay.Seen(ctx, u.key, until)
		switch {
		case err != nil:
			h.cfg.Logger.WarnContext(
				ctx,
				"identsphere: back-channel logout not checked against the fleet's replay store: processing it (a "+
					"replay re-applies the same revocation)",
				"issuer",
				lt.AdmittedBy,
				"error",
				err,
			)
		case seen:
			return u // a replay: the local record stays
		default:
			u.shared = true
		}
	}
	u.first = true
	return u
}

// undo forgets a logout token whose revocation could not be recorded
// durably, so that the provider's next post of it is accepted.
func (h *Handler) undo(ctx context.Context, u use, lt *core.LogoutToken) {
	h.seen.forget(u.key)
	if !u.shared {
		return
	}
	if err := h.cfg.Replay.Forget(ctx, u.key); err != nil {
		h.cfg.Logger.ErrorContext(
			ctx,
			"identsphere: back-channel logout answered 503 but still marked used in the fleet's replay store: the "+
				"provider's retry will be refused as a replay; the revocation stays in force on this replica and is "+
				"written to the shared store when it answers",
			"issuer",
			lt.AdmittedBy,
			"sub",
			lt.Subject,
			"sid",
			lt.SessionID,
			"error",
			err,
		)
	}
}

// localReplay remembers, in this process, the logout tokens accepted, each
// as long as it could be accepted again, at most maxReplayEntries.
type localReplay struct {
	mu   sync.Mutex
	seen map[string]time.Time // key → when it may be forgotten
}

// record records key until until and reports whether it was new. Full of
// live entries, it refuses rather than forget one.
func (l *localReplay) record(key string, until, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if u, ok := l.seen[key]; ok && now.Before(u) {
		return false
	}
	if len(l.seen) >= maxReplayEntries {
		for k, u := range l.seen {
			if !now.Before(u) {
				delete(l.seen, k)
			}
		}
		if len(l.seen) >= maxReplayEntries {
			return false
		}
	}
	l.seen[key] = until
	return true
}

func (l *localReplay) forget(key string) {
	l.mu.Lock()
	delete(l.seen, key)
	l.mu.Unlock()
}
