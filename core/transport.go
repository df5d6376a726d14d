package core

import (
	"context"
	"crypto/tls"
	"net/http"
)

// Call is one request of any transport (a gRPC or Connect call, an HTTP
// request read by hand) as the token's checks see it: where the token is,
// and what a sender-constrained token must be bound to. The HTTP middleware
// builds one from the *http.Request; package grpcauth from the call's
// metadata and peer.
type Call struct {
	// Authorization holds the values of the request's authorization field
	// (the HTTP header, the gRPC metadata "authorization"). Exactly one is
	// taken, with the Bearer scheme, or DPoP with WithDPoP; none is a
	// missing token.
	Authorization []string
	// DPoP holds the values of its dpop field: the DPoP proofs, of which
	// a DPoP-bound token needs exactly one.
	DPoP []string
	// Method is the method a DPoP proof must name (htm): the HTTP method,
	// "POST" for gRPC and Connect.
	Method string
	// Path is the escaped path a DPoP proof's htu must name after
	// DPoPConfig.PublicURL, and the path of the refusal log: the URL's
	// path, or a gRPC call's full method name ("/pkg.Service/Method").
	Path string
	// TLS is the state of the connection's TLS, nil without TLS: a
	// certificate-bound token (cnf x5t#S256) must name the client
	// certificate it holds.
	TLS *tls.ConnectionState

	// req is the HTTP request the call is, nil for other transports: its
	// path is read only when a DPoP proof needs it, and a trusted proxy's
	// certificate header (CertificateBinding.Header) is read from it.
	req *http.Request
}

// path returns the call's escaped path.
func (c *Call) path() string {
	if c.req != nil {
		return c.req.URL.EscapedPath()
	}
	return c.Path
}

// AuthenticateCall authenticates a call of any transport: the token of its
// Authorization (Bearer, or DPoP with WithDPoP), verified (the cache, the
// revocation check, the issuer's rules), its binding checked (a DPoP proof
// of its key, the client certificate it names), then the Authenticator's
// rules (WithRules) and rules, in that order. It is what the HTTP
// middleware runs, without an *http.Request: cookies, and so the
// cross-origin check, are HTTP's alone.
//
// Every decision is reported as Admit reports it (Observer, refusal log,
// with c.Method and c.Path). On success it returns ctx carrying the claims,
// where ClaimsFrom finds them; on failure, the reason, which
// NewErrorResponse turns into the answer (its Status says which: 401 for a
// missing, invalid, expired or revoked token, 400 for a malformed request,
// 403 for a scope or rule, 503 while keys or the revocation status are
// unavailable, with RetryAfter). Transports map that answer to their own
// codes; the error never holds the token.
func (a *Authenticator) AuthenticateCall(ctx context.Context, c *Call, rules ...Rule) (context.Context, error) {
	ad, token, err := a.authenticateCall(ctx, c, rules)
	if err != nil {
		a.refuseCall(ctx, c, err, token)
		return nil, err
	}
	a.observer.Decided(
		ctx,
		Decision{Admitted: true, Issuer: ad.claims.AdmittedBy, Cached: ad.cached, RevocationChecked: ad.revocation},
	)
	ad.ctx = authContext{
		Context: ctx, claims: &ad.claims, token: token, auth: a,
		method: c.Method, path: c.path(),
	}
	return &ad.ctx, nil
}

// authenticateCall returns the admission of c and its token, or the
// reason c is refused.
func (a *Authenticator) authenticateCall(ctx context.Context, c *Call, rules []Rule) (*admission, string, error) {
	if len(c.Authorization) == 0 {
		return nil, "", ErrMissingToken
	}
	token, source, err := authorizationToken(c.Authorization, a.maxTokenSize, a.dpop != nil)
	if err != nil {
		return nil, "", err
	}
	ad, err := a.admit(ctx, token, source, c, rules)
	return ad, token, err
}

// refuseCall reports the refusal of a call (Observer, refusal log); the
// token, when known, is only fingerprinted.
func (a *Authenticator) refuseCall(ctx context.Context, c *Call, err error, token string) {
	resp := NewErrorResponse(err, a.realm)
	check := CheckOf(err)
	issuer := ""
	if te := asTokenError(err); te != nil {
		issuer = te.Issuer
	}
	a.observer.Decided(
		ctx,
		Decision{Check: check, Status: resp.Status, Issuer: issuer, RevocationChecked: revocationCheck(check)},
	)
	a.refusals.record(ctx, c.Method, c.path(), err, resp, check, token)
}
