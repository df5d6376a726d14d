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
}

func (c *authContext) Value(key any) any {
	if key == (authContextKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// WithClaims returns a copy of ctx that carries c. The middleware does this
// for every admitted request; tests of handlers can do it directly:
//
//	req = req.WithContext(core.WithClaims(req.Context(), &core.Claims{Subject: "user-1"}))
func WithClaims(ctx context.Context, c *Claims) context.Context {
	return &authContext{Context: ctx, claims: c}
}

// ClaimsFrom returns the claims the middleware stored in ctx.
func ClaimsFrom(ctx context.Context) (*Claims, bool) {
	ac, ok := ctx.Value(authContextKey{}).(*authContext)
	if !ok || ac.claims == nil {
		return nil, false
	}
	return ac.claims, true
}
