package core

import "context"

// authContextKey is the unexported key under which claims travel in a
// context.Context; only this package can read or write it.
type authContextKey struct{}

// authContext is a context that carries the claims and the Authenticator
// that admitted them, so that route rules further down answer through the
// same error handler and realm. It is its own context.Context rather than a
// context.WithValue, so that it can live inside the admission, the one
// allocation of an admitted request.
type authContext struct {
	context.Context
	claims *Claims
	token  string // the raw token, for freshness checks
	auth   *Authenticator
	// method and path of the admitted request, for the refusal log of
	// what ends later (a Lease).
	method, path string
}

func (c *authContext) Value(key any) any {
	if key == (authContextKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// WithClaims returns a copy of ctx that carries c, where [ClaimsFrom] (and
// the adapters' Claims) find them. The middleware does this for every
// admitted request; tests of handlers do it directly, to call a handler as
// if the middleware had admitted its request, without any token:
//
//	c, err := core.NewClaims(map[string]any{"sub": "user-1", "roles": []string{"admin"}})
//	if err != nil { ... }
//	req = req.WithContext(core.WithClaims(req.Context(), c))
//
// Build c with [NewClaims] when the handler reads custom claims
// ([Claims.Decode], [CustomClaims]): a Claims struct literal has the typed
// fields only, and Decode on it reports an error. (authtest.Admitted does
// both in one call, with the defaults of a minted token.)
//
// Route rules ([Authorize], and the adapters' Require, RequireScope...)
// apply to the claims as they do behind the middleware, and answer
// refusals with the default error response. A freshness check ([Fresh])
// has no token to ask about: test such routes with a real token through
// the middleware.
func WithClaims(ctx context.Context, c *Claims) context.Context {
	return &authContext{Context: ctx, claims: c}
}

// ClaimsFrom returns the claims the middleware (or [WithClaims]) stored in
// ctx, and false when there are none: a request no middleware admitted.
func ClaimsFrom(ctx context.Context) (*Claims, bool) {
	ac, ok := ctx.Value(authContextKey{}).(*authContext)
	if !ok || ac.claims == nil {
		return nil, false
	}
	return ac.claims, true
}
