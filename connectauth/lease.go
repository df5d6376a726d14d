package connectauth

import (
	"context"
	"sync"
	"sync/atomic"

	"connectrpc.com/connect"

	"github.com/identsphere/identsphere-go/core"
)

// StreamLease returns the handler option that ends each stream the
// middleware admitted when its token expires (exp plus the leeway) or is
// revoked (see core.Lease): the stream then ends with Unauthenticated, its
// message saying which, and the handler's context is cancelled with that
// cause. Give it to every streaming handler behind the middleware:
//
//	path, handler := shopv1connect.NewOrdersHandler(orders, auth.StreamLease())
//
// As with grpcauth, the handler runs in a goroutine of its own, so that a
// stream whose handler is blocked in Receive still ends; once the stream
// has ended, its Send and Receive return the stream's error. A Send in
// progress when the lease ends finishes first.
func (a *Auth) StreamLease() connect.HandlerOption {
	return connect.WithInterceptors(leaseInterceptor{})
}

// leaseInterceptor leases streaming handlers; unary calls pass as they are.
type leaseInterceptor struct{}

func (leaseInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc { return next }

func (leaseInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (leaseInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if _, ok := core.ClaimsFrom(ctx); !ok { // not behind the middleware, or public
			return next(ctx, conn)
		}
		leased, stop := core.Lease(ctx)
		defer stop()
		lc := &leasedConn{StreamingHandlerConn: conn}
		done := make(chan handlerResult, 1)
		go func() {
			defer func() {
				if p := recover(); p != nil {
					done <- handlerResult{panicked: true, panic: p}
				}
			}()
			done <- handlerResult{err: next(leased, lc)}
		}()
		select {
		case r := <-done:
			return r.result()
		case <-leased.Done():
		}
		end, ok := core.LeaseEnd(leased)
		if !ok {
			return (<-done).result() // the client went away
		}
		err := Error(core.NewErrorResponse(end, core.DefaultRealm))
		lc.end(err)
		return err
	}
}

// handlerResult is how a stream handler returned.
type handlerResult struct {
	err      error
	panicked bool
	panic    any
}

func (r handlerResult) result() error {
	if r.panicked {
		panic(r.panic)
	}
	return r.err
}

// leasedConn is a stream whose Send and Receive return its error once the
// lease has ended. Sends hold mu, which end takes too: a send in progress
// finishes before the interceptor returns and connect-go writes the end of
// the stream, since both write the same response.
type leasedConn struct {
	connect.StreamingHandlerConn
	mu    sync.Mutex
	ended atomic.Pointer[*connect.Error]
}

func (c *leasedConn) Send(m any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ended.Load(); err != nil {
		return *err
	}
	return c.StreamingHandlerConn.Send(m)
}

func (c *leasedConn) Receive(m any) error {
	if err := c.ended.Load(); err != nil {
		return *err
	}
	return c.StreamingHandlerConn.Receive(m)
}

// end marks the stream ended with err, after any send in progress.
func (c *leasedConn) end(err *connect.Error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended.Store(&err)
}
