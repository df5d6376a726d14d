package grpcauth

import (
	"context"
	"sync/atomic"

	"google.golang.org/grpc"

	"github.com/identsphere/identsphere-go/core"
)

// serveLeased runs handler on ss under a lease of the token admitted in
// ctx (core.Lease), and returns its error, or the lease's status as soon
// as the lease ends.
func serveLeased(ctx context.Context, srv any, ss grpc.ServerStream, handler grpc.StreamHandler) error {
	leased, stop := core.Lease(ctx)
	defer stop()
	ls := &leasedStream{ServerStream: ss, ctx: leased}
	done := make(chan handlerResult, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- handlerResult{panicked: true, panic: p}
			}
		}()
		done <- handlerResult{err: handler(srv, ls)}
	}()
	select {
	case r := <-done:
		return r.result()
	case <-leased.Done():
	}
	end, ok := core.LeaseEnd(leased)
	if !ok { // the client went away, or the server stops
		return (<-done).result()
	}
	err := Status(core.NewErrorResponse(end, "")).Err()
	ls.end(err)
	return err
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

// leasedStream is a ServerStream under a lease: its context ends with the
// lease, and once the lease has ended, the stream's status is all its
// SendMsg and RecvMsg return. (A SendMsg already under way when the lease
// ends finishes or fails as grpc-go makes it when the stream closes; the
// interceptor does not wait for it, since a client that stopped reading
// would hold it forever.)
type leasedStream struct {
	grpc.ServerStream
	ctx   context.Context
	ended atomic.Pointer[error] // the stream's status once the lease has ended
}

// Context returns the stream's context: the claims, under the lease.
func (s *leasedStream) Context() context.Context { return s.ctx }

// SendMsg sends m, unless the lease has ended.
func (s *leasedStream) SendMsg(m any) error {
	if err := s.ended.Load(); err != nil {
		return *err
	}
	return s.ServerStream.SendMsg(m)
}

// RecvMsg receives into m, unless the lease has ended.
func (s *leasedStream) RecvMsg(m any) error {
	if err := s.ended.Load(); err != nil {
		return *err
	}
	return s.ServerStream.RecvMsg(m)
}

// end marks the stream ended with err.
func (s *leasedStream) end(err error) { s.ended.Store(&err) }
