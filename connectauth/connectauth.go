// Package connectauth puts identsphere token validation in front of
// Connect services (connectrpc.com/connect). It authenticates at the HTTP
// layer, before the request body is read, and answers refusals with Connect
// error codes in the protocol the client speaks (Connect, gRPC, gRPC-Web).
// It only translates between Connect and package core, which makes every
// decision (core.Authenticator.AuthenticateProcedure).
//
//	auth, err := connectauth.New(v, connectauth.Config{Procedures: core.ProcedureRules{
//		Rules: map[string][]core.Rule{
//			"/shop.Orders/*":      nil,                                  // any valid token
//			"/shop.Orders/Cancel": {core.RequireScopes("orders:write")}, // and a scope
//		},
//	}})
//	if err != nil {
//		log.Fatal(err)
//	}
//	path, handler := shopv1connect.NewOrdersHandler(orders)
//	mux.Handle(path, auth.Middleware(handler)) // core.ClaimsFrom(ctx) in the handler
//
// The procedure is the request's URL path, "/package.Service/Method", as
// Connect routes it: mount the handlers at the root of the server. Rules
// are per procedure and deny by default (see core.ProcedureRules). The
// token is the one Authorization header, Bearer, or DPoP with core.WithDPoP
// (the proof in the DPoP header, htm and htu those of the HTTP request, as
// RFC 9449 defines them). Refusals are Unauthenticated (token missing,
// malformed, invalid, expired or revoked; a bad DPoP proof),
// PermissionDenied (scope, rule, procedure open to no caller) and
// Unavailable with a RetryInfo detail (keys not loaded, revocation status
// unknown); the message is the RFC 6750 error code and description, never
// the token. A request in no RPC protocol gets the plain HTTP answer.
package connectauth

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/identsphere/identsphere-go/core"
)

// Config configures the middleware.
type Config struct {
	// Procedures says who may call each procedure (required; see
	// core.ProcedureRules): a procedure it does not list is refused.
	Procedures core.ProcedureRules
	// Options configure the Authenticator behind the middleware: realm,
	// rules every call must pass (core.WithRules), the observer and the
	// refusal log, DPoP (core.WithDPoP), certificate binding.
	Options []core.Option
}

// Auth authenticates the calls of Connect handlers.
type Auth struct {
	auth       *core.Authenticator
	procedures *core.Procedures
	errors     *connect.ErrorWriter
}

// New returns the middleware's Auth over v, or an error when cfg is
// wrong. v must not be nil (core.NewAuthenticator panics on a nil pointer,
// such as the *Validator of a core.New whose error went unchecked).
func New(v core.TokenVerifier, cfg Config) (*Auth, error) {
	if v == nil {
		return nil, errors.New("identsphere: connectauth.New needs a TokenVerifier")
	}
	p, err := core.NewProcedures(cfg.Procedures)
	if err != nil {
		return nil, err
	}
	return &Auth{auth: core.NewAuthenticator(v, cfg.Options...), procedures: p, errors: connect.NewErrorWriter()}, nil
}

// Middleware authenticates each request to next before next reads its
// body; next finds the claims with core.ClaimsFrom(ctx).
func (a *Auth) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := core.Call{
			Authorization: r.Header["Authorization"], DPoP: r.Header["Dpop"],
			Method: r.Method, Path: r.URL.EscapedPath(), TLS: r.TLS,
		}
		ctx, err := a.auth.AuthenticateProcedure(r.Context(), a.procedures, &c)
		if err != nil {
			a.refuse(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// refuse answers err in the client's protocol.
func (a *Auth) refuse(w http.ResponseWriter, r *http.Request, err error) {
	resp := core.NewErrorResponse(err, core.DefaultRealm)
	if !a.errors.IsSupported(r) {
		resp.Write(w)
		return
	}
	if resp.DPoPNonce != "" {
		w.Header().Set("DPoP-Nonce", resp.DPoPNonce)
	}
	_ = a.errors.Write(w, r, Error(resp))
}

// Error is the Connect error of an answer: Unauthenticated (401 and 400),
// PermissionDenied (403), Unavailable with a RetryInfo detail (503); the
// message is the answer's error code and description.
func Error(resp core.ErrorResponse) *connect.Error {
	code := connect.CodeUnauthenticated
	switch resp.Status {
	case http.StatusForbidden:
		code = connect.CodePermissionDenied
	case http.StatusServiceUnavailable:
		code = connect.CodeUnavailable
	}
	msg := resp.Description
	if resp.Code != "" {
		msg = resp.Code + ": " + msg
	}
	e := connect.NewError(code, errors.New(msg))
	if secs, err := strconv.Atoi(resp.RetryAfter); err == nil {
		retry := &errdetails.RetryInfo{RetryDelay: durationpb.New(time.Duration(secs) * time.Second)}
		if d, err := connect.NewErrorDetail(retry); err == nil {
			e.AddDetail(d)
		}
	}
	return e
}
