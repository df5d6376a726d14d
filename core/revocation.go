package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// RevocationChecker reports whether a verified token has been revoked. It
// is for teams whose identity provider pushes revocations (logout, account
// disabled) rather than answering introspection: the Validator consults it
// after the signature and claims checks on every request, cached or not.
// An error refuses the token with 503 (fail closed).
//
// A denial names its issuer, and denies only that issuer's tokens: jti,
// sid and sub are unique only per issuer, so with several issuers
// (NewMulti) a logout at issuer B must not end a session of issuer A that
// happens to bear the same sid. The issuer of a token is its
// Claims.AdmittedBy (the Config.Issuer of the issuer that admitted it,
// which a Validator always sets; the iss claim for Claims built by hand).
//
// Denylist is the in-memory implementation, for one instance. For many
// instances, implement Revoked over a shared store with the same shape:
// one key per issuer and denied jti, sid and sub, each with a time to live
// equal to the remaining lifetime of the tokens it denies, for example in
// Redis
//
//	SET deny:<issuer>:jti:<jti> 1 EXAT <exp>
//	SET deny:<issuer>:sub:<sub> <revoked-at> EXAT <revoked-at + longest token lifetime>
//
// (with the issuer encoded so that it cannot run into the id, since both
// may hold ':'), and Revoked reads the three keys of a token in one round
// trip (MGET), denying when jti or sid is present or when the token's iat
// is not after the sub entry's revoked-at. Keep the store's timeout short:
// this runs on the request path.
type RevocationChecker interface {
	Revoked(ctx context.Context, c *Claims) (bool, error)
}

// Revoker records revocations: the write side of a RevocationChecker, for
// receivers of revocations pushed by the provider (package backchannel).
// Both methods key the denial by issuer and sid or sub, never by a token
// string, and deny only the tokens that issuer admitted (see
// RevocationChecker); issuer is the Config.Issuer of the issuer that
// verified the revocation (LogoutToken.AdmittedBy). *redisstore.Store
// implements it; Denylist.Revoker adapts a Denylist.
//
// nil means the revocation is in force and durable: every instance that
// shares the store has it or will. An error wrapping ErrRevocationPending
// means it is in force where it was issued only, for now.
type Revoker interface {
	// RevokeSession denies every token of issuer's session sid until
	// until.
	RevokeSession(ctx context.Context, issuer, sid string, until time.Time) error
	// RevokeSubject denies every token of issuer's sub issued until now,
	// for maxLifetime (see Denylist.RevokeSubject).
	RevokeSubject(ctx context.Context, issuer, sub string, maxLifetime time.Duration) error
}

// ErrRevocationPending is wrapped by a Revoker's error when the revocation
// is in force where it was issued but not yet shared (its store is
// unreachable; it will be written when it returns, unless the process
// stops first). The caller need not retry the write, but must not tell a
// sender that expects durability (a provider's back-channel logout) that
// the revocation is recorded.
var ErrRevocationPending = errors.New("identsphere: revocation in force locally, not yet shared")

// Revoker returns d as a Revoker.
func (d *Denylist) Revoker() Revoker { return denylistRevoker{d} }

type denylistRevoker struct{ d *Denylist }

func (r denylistRevoker) RevokeSession(_ context.Context, issuer, sid string, until time.Time) error {
	return r.d.RevokeSession(issuer, sid, until)
}

func (r denylistRevoker) RevokeSubject(_ context.Context, issuer, sub string, maxLifetime time.Duration) error {
	return r.d.RevokeSubject(issuer, sub, maxLifetime)
}

// Denylist is an in-memory RevocationChecker. It denies by issuer and jti,
// sid or sub, never by the token string (see RevokeToken), and a denial
// denies only the tokens of its issuer (see RevocationChecker). Entries
// expire with the tokens they deny, so it never grows beyond the
// revocations of one token lifetime. It is safe for concurrent use.
type Denylist struct {
	now func() time.Time

	mu       sync.RWMutex
	tokens   map[denied]time.Time // jti → until
	sessions map[denied]time.Time // sid → until
	subjects map[denied]subjectDenial
	writes   int

	changed revocationSignal // see RevocationsChanged
}

// denied names what a denial denies: an id (jti, sid or sub) of one
// issuer.
type denied struct{ issuer, id string }

type subjectDenial struct{ since, until time.Time }

var _ RevocationChecker = (*Denylist)(nil)

// NewDenylist returns an empty Denylist. now is the clock (nil: time.Now).
func NewDenylist(now func() time.Time) *Denylist {
	if now == nil {
		now = time.Now
	}
	return &Denylist{
		now:      now,
		tokens:   map[denied]time.Time{},
		sessions: map[denied]time.Time{},
		subjects: map[denied]subjectDenial{},
	}
}

// checkDenied refuses a denial that could never deny anything.
func checkDenied(what, issuer, id string) error {
	switch {
	case issuer == "":
		return fmt.Errorf("identsphere: Denylist: revoking a %s: the issuer is required (Claims.AdmittedBy)", what)
	case id == "":
		return fmt.Errorf("identsphere: Denylist: revoking a %s: the %s is empty", what, what)
	}
	return nil
}

// Every entry is widened by MaxLeeway, the most clock skew a Validator
// tolerates, in the safe direction: a token stays acceptable until
// MaxLeeway past its exp, and an issuer whose clock runs ahead stamps iat
// up to MaxLeeway in the future.

// RevokeToken denies issuer's token with this jti until its exp (plus
// MaxLeeway, during which a Validator may still accept it). issuer is the
// token's Claims.AdmittedBy. Denial is by jti, never by the token string:
// ES256 signatures are malleable, so the same token has more than one
// valid encoding. An empty issuer or jti is an error.
func (d *Denylist) RevokeToken(issuer, jti string, exp time.Time) error {
	if err := checkDenied("jti", issuer, jti); err != nil {
		return err
	}
	d.write(func() { d.tokens[denied{issuer, jti}] = exp.Add(MaxLeeway) })
	return nil
}

// RevokeSession denies every token of issuer's session sid (logout) until
// until, the exp of the session's last token (plus MaxLeeway). An empty
// issuer or sid is an error.
func (d *Denylist) RevokeSession(issuer, sid string, until time.Time) error {
	if err := checkDenied("sid", issuer, sid); err != nil {
		return err
	}
	d.write(func() { d.sessions[denied{issuer, sid}] = until.Add(MaxLeeway) })
	return nil
}

// RevokeSubject denies every token of issuer's sub issued until now (an account
// disabled, a password changed), for maxLifetime: the longest lifetime of a
// token the issuer mints. "Until now" is read with MaxLeeway to spare,
// since an issuer whose clock runs ahead stamps iat in the future: a token
// the issuer mints within MaxLeeway after the call is denied too (a user
// who logs in again at once is refused for up to a minute), and the denial
// lasts maxLifetime plus twice MaxLeeway. Tokens without iat are denied.
// An empty issuer or sub is an error.
func (d *Denylist) RevokeSubject(issuer, sub string, maxLifetime time.Duration) error {
	if err := checkDenied("sub", issuer, sub); err != nil {
		return err
	}
	since := d.now().Add(MaxLeeway)
	d.write(func() {
		d.subjects[denied{issuer, sub}] = subjectDenial{since: since, until: since.Add(maxLifetime + MaxLeeway)}
	})
	return nil
}

// Revoked implements RevocationChecker: only the denials of the token's
// issuer (Claims.AdmittedBy; the iss claim when that is empty) count.
func (d *Denylist) Revoked(_ context.Context, c *Claims) (bool, error) {
	issuer := c.AdmittedBy
	if issuer == "" {
		issuer = c.Issuer
	}
	now := d.now()
	d.mu.RLock()
	defer d.mu.RUnlock()
	if until, ok := d.tokens[denied{issuer, c.ID}]; ok && c.ID != "" && now.Before(until) {
		return true, nil
	}
	if until, ok := d.sessions[denied{issuer, c.SessionID}]; ok && c.SessionID != "" && now.Before(until) {
		return true, nil
	}
	if s, ok := d.subjects[denied{issuer, c.Subject}]; ok && now.Before(s.until) && !c.IssuedAt.After(s.since) {
		return true, nil
	}
	return false, nil
}

// Len returns how many denials are held, expired ones included until the
// next sweep.
func (d *Denylist) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.tokens) + len(d.sessions) + len(d.subjects)
}

// write applies f and, every so often, drops expired entries, so the list
// needs no goroutine of its own.
func (d *Denylist) write(f func()) {
	defer d.changed.notify() // once the lock is released
	d.mu.Lock()
	defer d.mu.Unlock()
	f()
	d.writes++
	if d.writes%64 == 0 {
		d.sweep()
	}
}

// sweep drops expired entries. The caller holds d.mu for writing.
func (d *Denylist) sweep() {
	now := d.now()
	for k, until := range d.tokens {
		if !now.Before(until) {
			delete(d.tokens, k)
		}
	}
	for k, until := range d.sessions {
		if !now.Before(until) {
			delete(d.sessions, k)
		}
	}
	for k, s := range d.subjects {
		if !now.Before(s.until) {
			delete(d.subjects, k)
		}
	}
}

// A shared revocation store (such as package revocation/redisstore) keeps a
// Denylist on every instance and applies to it the denials that other
// instances issued. Those arrive as absolute times already widened by the
// instance that issued them, possibly more than once and in any order
// (published, then read again on a resynchronisation). The Deny methods
// take them as they are: they never widen by MaxLeeway again, keep the
// later of each time when a live entry is already held (so applying
// denials in any order, any number of times, ends in the same state),
// and never sweep, so that applying a whole store's contents costs time
// linear in its size: call Sweep afterwards. Like the Revoke methods, they
// deny by issuer and jti, sid or sub, never by the token string, and the
// caller checks that neither issuer nor id is empty (a denial with an
// empty one denies nothing a Validator admits).

// DenyToken denies issuer's token with this jti until until (absolute, not
// widened). Denial is by jti, never by the token string: ES256 signatures
// are malleable.
func (d *Denylist) DenyToken(issuer, jti string, until time.Time) {
	defer d.changed.notify() // once the lock is released
	d.mu.Lock()
	defer d.mu.Unlock()
	k := denied{issuer, jti}
	d.tokens[k] = laterUntil(d.tokens, k, until)
}

// DenySession denies every token of issuer's session sid until until
// (absolute, not widened). Denial is by sid, never by the token string
// (ES256 signatures are malleable).
func (d *Denylist) DenySession(issuer, sid string, until time.Time) {
	defer d.changed.notify() // once the lock is released
	d.mu.Lock()
	defer d.mu.Unlock()
	k := denied{issuer, sid}
	d.sessions[k] = laterUntil(d.sessions, k, until)
}

// DenySubject denies, until until, every token of issuer's sub whose iat
// is not after issuedUpTo, and every such token without iat. Both times
// are absolute and used as given: RevokeSubject's entry is
// DenySubject(issuer, sub, now+MaxLeeway, now+MaxLeeway+maxLifetime+MaxLeeway).
// Denial is by sub, never by the token string (ES256 signatures are
// malleable).
func (d *Denylist) DenySubject(issuer, sub string, issuedUpTo, until time.Time) {
	defer d.changed.notify() // once the lock is released
	d.mu.Lock()
	defer d.mu.Unlock()
	k := denied{issuer, sub}
	s := subjectDenial{since: issuedUpTo, until: until}
	if old, ok := d.subjects[k]; ok && d.now().Before(old.until) {
		s.since = maxTime(s.since, old.since)
		s.until = maxTime(s.until, old.until)
	}
	d.subjects[k] = s
}

// Sweep drops the expired denials now and returns how many remain. The
// Revoke methods sweep by themselves every so often; the Deny methods never
// do, so a store that applies replicated denials calls Sweep after a batch
// and on a timer, which keeps memory to the denials still in force.
func (d *Denylist) Sweep() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sweep()
	return len(d.tokens) + len(d.sessions) + len(d.subjects)
}

// laterUntil returns the later of until and the live entry for key in m.
// The caller holds d.mu.
func laterUntil(m map[denied]time.Time, key denied, until time.Time) time.Time {
	if old, ok := m[key]; ok && old.After(until) {
		return old
	}
	return until
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
