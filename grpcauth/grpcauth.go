// Package grpcauth puts identsphere token validation in front of grpc-go
// services, as unary and stream server interceptors. It only translates
// between gRPC and package core, which makes every decision: the same
// checks, cache, revocation, observer and refusal log as the HTTP
// middleware (core.Authenticator.AuthenticateProcedure).
//
//	auth, err := grpcauth.New(v, grpcauth.Config{
//		Procedures: core.ProcedureRules{
//			Public: []string{grpcauth.HealthService},
//			Rules: map[string][]core.Rule{
//				"/shop.Orders/*":      nil,                               // any valid token
//				"/shop.Orders/Cancel": {core.RequireScopes("orders:write")}, // this one needs a scope
//			},
//		},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	srv := grpc.NewServer(grpc.UnaryInterceptor(auth.UnaryServerInterceptor()),
//		grpc.StreamInterceptor(auth.StreamServerInterceptor()))
//	// in a handler: claims, _ := core.ClaimsFrom(ctx)
//
// # Which calls pass
//
// Rules are per full method name and deny by default: a method neither
// public nor given rules is refused (PermissionDenied) to every caller, so
// a method added to a service later is never open by accident.
//
// The token is the one value of the "authorization" metadata, with the
// Bearer scheme (or DPoP: see below). A certificate-bound token (RFC 8705)
// must name the client certificate of the call's TLS connection
// (credentials.TLSInfo in the peer), so serve with client certificates
// (tls.RequireAnyClientCert or stronger) where such tokens are used.
//
// # Answers
//
// A refusal is a status with one of three codes, whose message is the
// error code and description of the HTTP answer (never the token):
// Unauthenticated for a token missing, malformed, invalid, expired or
// revoked (and a bad DPoP proof); PermissionDenied for a scope, a rule or a
// method open to no caller; Unavailable, with a RetryInfo detail, while the
// signing keys are not loaded or the revocation status cannot be checked.
//
// # DPoP over gRPC
//
// DPoP (RFC 9449) is defined for HTTP requests; for gRPC it is not
// standardised. With core.WithDPoP among Config.Options this package takes
// "authorization: DPoP <token>" with one "dpop" metadata value, the proof,
// whose htm is POST and whose htu is DPoPConfig.PublicURL (the public
// authority the clients dial, such as https://orders.example.com) followed
// by the full method name: https://orders.example.com/shop.Orders/List. A
// server nonce to use comes back in the "dpop-nonce" trailer. Clients of
// other libraries may build proofs differently: agree on this shape with
// them first.
package grpcauth

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/identsphere/identsphere-go/core"
)

// Services to list in ProcedureRules.Public, which gRPC tools call without
// a token.
const (
	// HealthService is grpc-go's health service (grpc.health.v1).
	HealthService = "/grpc.health.v1.Health/*"
	// ReflectionService and ReflectionServiceV1Alpha are server
	// reflection, which lists the services: list them only where the
	// service's shape is not a secret.
	ReflectionService        = "/grpc.reflection.v1.ServerReflection/*"
	ReflectionServiceV1Alpha = "/grpc.reflection.v1alpha.ServerReflection/*"
)

// Config configures the interceptors.
type Config struct {
	// Procedures says who may call each method (required; see
	// core.ProcedureRules): a method it does not list is refused.
	Procedures core.ProcedureRules
	// Options configure the Authenticator behind the interceptors: realm,
	// rules every call must pass (core.WithRules), the observer and the
	// refusal log, DPoP (core.WithDPoP; see the package doc). Cookie and
	// cross-origin options do not apply to gRPC.
	Options []core.Option
}

// Interceptors authenticates the calls of one grpc.Server.
type Interceptors struct {
	auth       *core.Authenticator
	procedures *core.Procedures
}

// New returns the interceptors over v, or an error when cfg is wrong. v
// must not be nil (core.NewAuthenticator panics on a nil pointer, such as
// the *Validator of a core.New whose error went unchecked).
func New(v core.TokenVerifier, cfg Config) (*Interceptors, error) {
	if v == nil {
		return nil, errors.New("identsphere: grpcauth.New needs a TokenVerifier")
	}
	p, err := core.NewProcedures(cfg.Procedures)
	if err != nil {
		return nil, err
	}
	return &Interceptors{auth: core.NewAuthenticator(v, cfg.Options...), procedures: p}, nil
}

// UnaryServerInterceptor authenticates unary calls; the handler finds the
// claims with core.ClaimsFrom(ctx).
func (i *Interceptors) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := i.authenticate(ctx, info.FullMethod, grpc.SetTrailer)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor authenticates streaming calls when they open,
// and ends each stream when its token expires (exp plus the leeway) or is
// revoked (see core.Lease): the stream then ends with Unauthenticated, its
// message saying which, and the handler's stream context is cancelled with
// that cause. The handler finds the claims with
// core.ClaimsFrom(stream.Context()).
//
// To end a stream whose handler is blocked in RecvMsg, the handler runs in
// a goroutine of its own: once the stream has ended, its RecvMsg and
// SendMsg return the stream's status, and it should return. A panic in the
// handler is raised again in the interceptor's goroutine while the stream
// lives, where a recovery interceptor chained before this one sees it.
func (i *Interceptors) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		setTrailer := func(_ context.Context, md metadata.MD) error { ss.SetTrailer(md); return nil }
		ctx, err := i.authenticate(ss.Context(), info.FullMethod, setTrailer)
		if err != nil {
			return err
		}
		if _, ok := core.ClaimsFrom(ctx); !ok { // a public method: no token to lease
			return handler(srv, &stream{ServerStream: ss, ctx: ctx})
		}
		return serveLeased(ctx, srv, ss, handler)
	}
}

// stream is a ServerStream whose context carries the claims.
type stream struct {
	grpc.ServerStream
	ctx context.Context
}

// Context returns the stream's context, with the claims.
func (s *stream) Context() context.Context { return s.ctx }

// authenticate authenticates the call of fullMethod in ctx, returning the
// context the handler runs in, or the status to answer; setTrailer sends
// a DPoP nonce.
func (i *Interceptors) authenticate(
	ctx context.Context, fullMethod string, setTrailer func(context.Context, metadata.MD) error,
) (context.Context, error) {
	// The two values rather than FromIncomingContext, which copies the
	// whole metadata on every call.
	c := core.Call{
		Authorization: metadata.ValueFromIncomingContext(ctx, "authorization"),
		DPoP:          metadata.ValueFromIncomingContext(ctx, "dpop"),
		Method:        http.MethodPost,
		Path:          fullMethod,
	}
	if p, ok := peer.FromContext(ctx); ok {
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok {
			c.TLS = &info.State
		}
	}
	authed, err := i.auth.AuthenticateProcedure(ctx, i.procedures, &c)
	if err == nil {
		return authed, nil
	}
	resp := core.NewErrorResponse(err, "")
	if resp.DPoPNonce != "" {
		_ = setTrailer(ctx, metadata.Pairs("dpop-nonce", resp.DPoPNonce))
	}
	return nil, Status(resp).Err()
}

// Status is the gRPC status of an answer: Unauthenticated (401 and 400),
// PermissionDenied (403), Unavailable with a RetryInfo detail (503); the
// message is the answer's error code and description.
func Status(resp core.ErrorResponse) *status.Status {
	code := codes.Unauthenticated
	switch resp.Status {
	case http.StatusForbidden:
		code = codes.PermissionDenied
	case http.StatusServiceUnavailable:
		code = codes.Unavailable
	}
	msg := resp.Description
	if resp.Code != "" {
		msg = resp.Code + ": " + msg
	}
	st := status.New(code, msg)
	if secs, err := strconv.Atoi(resp.RetryAfter); err == nil {
		retry := &errdetails.RetryInfo{RetryDelay: durationpb.New(time.Duration(secs) * time.Second)}
		if withRetry, err := st.WithDetails(retry); err == nil {
			st = withRetry
		}
	}
	return st
}
