package core

import "context"

// requestIDKey is the context key of the request id the refusal log
// records; its setter and getter follow.
type requestIDKey struct{}

// WithRequestID returns ctx carrying a request id, which the refusal log
// records (set it in a middleware before the Authenticator's).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
