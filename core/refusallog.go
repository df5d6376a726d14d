package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"
)

// TokenFingerprint identifies a token in logs without revealing it: the
// first 12 hex digits of its SHA-256. Enough to match a user's report ("my
// token starting eyJ... was refused") against the log, by hashing the token
// they send; useless to replay.
func TokenFingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:6])
}

// Refusal log defaults.
const (
	// DefaultRefusalLogLevel is Info: a refused request is the first thing
	// on-call looks for when a user reports a 401, and Debug would be off
	// in production. The volume is bounded by the rate limit instead.
	DefaultRefusalLogLevel = slog.LevelInfo
	// RefusalLogBurst is how many refusals of one check are logged per
	// RefusalLogWindow; the rest are counted and the count is logged with
	// the next record of that check ("N similar refusals suppressed").
	RefusalLogBurst  = 20
	RefusalLogWindow = 10 * time.Second
)

// refusalLog writes one record per refused request, at most
// RefusalLogBurst per check per window.
type refusalLog struct {
	logger *slog.Logger
	level  slog.Level

	mu      sync.Mutex
	windows map[string]*refusalWindow
}

type refusalWindow struct {
	start      time.Time
	logged     int
	suppressed int
}

// maxRefusalChecks bounds the windows kept: check names come from the
// library and the configuration, but a bound costs nothing.
const maxRefusalChecks = 256

func (l *refusalLog) record(
	ctx context.Context,
	method, path string,
	err error,
	resp ErrorResponse,
	check Check,
	token string,
) {
	if l == nil || !l.logger.Enabled(ctx, l.level) {
		return
	}
	now := time.Now()
	te := asTokenError(err)
	if te != nil && te.acceptedWith != "" {
		l.hintKind(ctx, te, resp, check, now)
	}
	l.mu.Lock()
	w := l.window(string(check), now)
	suppressed := 0
	if now.Sub(w.start) >= RefusalLogWindow {
		suppressed, w.start, w.logged, w.suppressed = w.suppressed, now, 0, 0
	}
	if w.logged >= RefusalLogBurst {
		w.suppressed++
		l.mu.Unlock()
		return
	}
	w.logged++
	l.mu.Unlock()

	if suppressed > 0 {
		l.logger.Log(
			ctx,
			l.level,
			"identsphere: similar refusals suppressed",
			"check",
			string(check),
			"suppressed",
			suppressed,
			"window",
			RefusalLogWindow,
		)
	}
	attrs := []slog.Attr{
		slog.String("check", string(check)),
		slog.Int("status", resp.Status),
		slog.String("error", resp.Code),
		slog.String("description", resp.Description),
		slog.String("method", method),
		slog.String("path", path),
	}
	if te != nil {
		known := []struct{ k, v string }{{"issuer", te.Issuer}, {"alg", te.Alg}, {"kid", te.KID}, {"sub", te.Subject}}
		for _, a := range known {
			if a.v != "" {
				attrs = append(attrs, slog.String(a.k, a.v))
			}
		}
		if te.Expected != nil {
			attrs = append(attrs, slog.Any("expected", te.Expected), slog.Any("found", te.Found))
		}
	}
	if token != "" {
		attrs = append(attrs, slog.String("token_fingerprint", TokenFingerprint(token)))
	}
	if id := RequestID(ctx); id != "" {
		attrs = append(attrs, slog.String("request_id", id))
	}
	l.logger.LogAttrs(ctx, l.level, "identsphere: request refused", attrs...)
}

// window returns the window of key, made at now if there is none; l.mu
// must be held.
func (l *refusalLog) window(key string, now time.Time) *refusalWindow {
	w := l.windows[key]
	if w == nil {
		if len(l.windows) >= maxRefusalChecks {
			clear(l.windows)
		}
		w = &refusalWindow{start: now}
		l.windows[key] = w
	}
	return w
}

// hintKind logs, once per RefusalLogWindow for each setting, that a token
// was refused for its kind and which setting accepts that kind: the
// operator of an API that receives ID tokens learns what to change, from
// one record, whatever the volume of refusals.
func (l *refusalLog) hintKind(ctx context.Context, te *TokenError, resp ErrorResponse, check Check, now time.Time) {
	l.mu.Lock()
	w := l.window("accepted_with "+te.acceptedWith, now)
	first := w.logged == 0 || now.Sub(w.start) >= RefusalLogWindow
	if first {
		w.start, w.logged = now, 1
	}
	l.mu.Unlock()
	if first {
		l.logger.LogAttrs(
			ctx,
			l.level,
			"identsphere: a token was refused for its kind; this setting accepts that kind",
			slog.String(
				"check",
				string(check),
			),
			slog.String("description", resp.Description),
			slog.String("accepted_with", te.acceptedWith),
		)
	}
}
