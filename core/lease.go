package core

import (
	"context"
	"errors"
	"time"
)

// The causes of a lease's end (context.Cause of a Lease's context): each
// is wrapped in a TokenError (check exp or revoked), answered 401
// invalid_token with a description that says which.
var (
	ErrLeaseExpired = errors.New("identsphere: the token expired during the connection")
	ErrLeaseRevoked = errors.New("identsphere: the token was revoked during the connection")
)

// LeaseRevocationPoll is how often a Lease asks a RevocationChecker that is
// not a RevocationNotifier whether its token is revoked.
const LeaseRevocationPoll = time.Second

// Lease returns a copy of ctx, the context of a request the middleware (or
// an interceptor) admitted, that ends when its token expires (exp plus the
// Validator's leeway) or is revoked: for what lives longer than a request
// (a gRPC or Connect stream, server-sent events, a WebSocket), which must
// not outlive its token. A revocation is seen at once from a
// RevocationNotifier (Denylist, revocation/redisstore: a denial from any
// replica), else within LeaseRevocationPoll. context.Cause of the returned
// context is then a TokenError wrapping ErrLeaseExpired or ErrLeaseRevoked;
// NewErrorResponse answers it 401 invalid_token, saying which. A ctx
// without claims ends at once (ErrMissingToken), and so does one whose
// claims have no exp, such as a Claims literal given to WithClaims in a
// test (authtest.Admitted sets one).
//
// Its end by expiry or revocation is reported as a refusal of the request
// (Observer, refusal log with the request's method and path, check exp or
// revoked). The lease holds one goroutine until the returned context ends: call
// stop when the connection ends, as with context.WithCancel. A revocation
// checker's error leaves the lease as it is (the request was admitted; the
// next check may answer).
func Lease(ctx context.Context) (leased context.Context, stop context.CancelFunc) {
	lctx, cancel := context.WithCancelCause(ctx)
	stop = func() { cancel(context.Canceled) }
	ac, _ := ctx.Value(authContextKey{}).(*authContext)
	if ac == nil || ac.claims == nil {
		cancel(ErrMissingToken)
		return lctx, stop
	}
	l := lease{claims: ac.claims, now: time.Now}
	if v, ok := leaseValidator(ac); ok {
		if is := v.issuerNamed(ac.claims.AdmittedBy); is != nil {
			l.leeway, l.revocation = is.cfg.Leeway, is.cfg.Revocation
			if is.cfg.Now != nil {
				l.now = is.cfg.Now
			}
		}
	}
	go l.hold(lctx, cancel)
	if ac.auth != nil {
		// The end is a refusal like any other: Observer and refusal log.
		context.AfterFunc(lctx, func() {
			if end, ok := LeaseEnd(lctx); ok {
				ac.auth.refuseCall(ctx, &Call{Method: ac.method, Path: ac.path}, end, ac.token)
			}
		})
	}
	return lctx, stop
}

// LeaseEnd reports whether a Lease's context, or one derived from it, ended
// because its token expired or was revoked, and if so returns that cause:
// a TokenError (check exp or revoked, wrapping ErrLeaseExpired or
// ErrLeaseRevoked) whose Description says which in words a client may be
// shown, as a stream's last message (server-sent events, a WebSocket close
// reason), and which NewErrorResponse answers. It returns false while ctx
// lives, and when ctx ended otherwise (stop, the client gone, the server
// stopping, a request without claims): nothing about the token to tell.
// Transports that end leased streams (grpcauth, connectauth) and handlers
// that stream ask it rather than test the causes one by one.
func LeaseEnd(ctx context.Context) (*TokenError, bool) {
	te := asTokenError(context.Cause(ctx))
	if te == nil || !errors.Is(te.Err, ErrLeaseExpired) && !errors.Is(te.Err, ErrLeaseRevoked) {
		return nil, false
	}
	return te, true
}

// leaseValidator returns the Validator that admitted ac's claims, if one
// did.
func leaseValidator(ac *authContext) (*Validator, bool) {
	if ac.auth == nil {
		return nil, false
	}
	v, ok := ac.auth.verifier.(*Validator)
	return v, ok && v != nil
}

// lease is what a Lease watches.
type lease struct {
	claims     *Claims
	leeway     time.Duration
	now        func() time.Time
	revocation RevocationChecker // nil: none
}

// hold cancels ctx when the token expires or is revoked, and returns when
// ctx ends.
func (l lease) hold(ctx context.Context, cancel context.CancelCauseFunc) {
	expiry := time.NewTimer(l.claims.ExpiresAt.Add(l.leeway).Sub(l.now()))
	defer expiry.Stop()
	notifier, notifies := l.revocation.(RevocationNotifier)
	var poll <-chan time.Time
	if l.revocation != nil && !notifies {
		ticker := time.NewTicker(LeaseRevocationPoll)
		defer ticker.Stop()
		poll = ticker.C
	}
	for {
		var changed <-chan struct{} // nil: never
		if notifies {
			changed = notifier.RevocationsChanged() // before the check: none is missed
		}
		if l.revoked(ctx) {
			cancel(leaseRevoked())
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-expiry.C:
			cancel(leaseExpired())
			return
		case <-changed:
		case <-poll:
		}
	}
}

func (l lease) revoked(ctx context.Context) bool {
	if l.revocation == nil {
		return false
	}
	revoked, err := l.revocation.Revoked(ctx, l.claims)
	return err == nil && revoked
}

func leaseExpired() error {
	return tokenErr(CheckExp, "the token expired during the connection", ErrLeaseExpired)
}

func leaseRevoked() error {
	return tokenErr(CheckRevoked, "the token was revoked during the connection", ErrLeaseRevoked)
}
