package core

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
)

// Authenticator authenticates HTTP requests: it extracts the token, refuses
// cookie-borne tokens on cross-origin unsafe requests, verifies the token,
// and applies the middleware's rules. It holds every decision the adapters
// need, so stdauth, chiauth and ginauth only translate between their router
// and this type.
type Authenticator struct {
	verifier TokenVerifier
	settings
}

// settings are what Options set, over the defaults NewAuthenticator
// starts from. Options see only this, never the Authenticator.
type settings struct {
	realm        string
	cookieName   string
	maxTokenSize int
	crossOrigin  *http.CrossOriginProtection
	onError      func(w http.ResponseWriter, r *http.Request, err error)
	rules        []Rule
	observer     Observer
	refusals     *refusalLog
	dpop         *dpopChecker // nil: DPoP off (DPoP-bound tokens refused)
	certs        *certBinding // how certificate-bound tokens are checked
	// resourceMetadata is the resource_metadata auth-param every 401
	// challenge carries (WithResourceMetadata), or "".
	resourceMetadata string
	// challengeScope is the scope auth-param of 401 challenges
	// (WithChallengeScope), or "".
	challengeScope string
}

// Option configures an Authenticator (see NewAuthenticator). Options are
// made by the With... functions of this package.
type Option interface {
	apply(*settings)
}

// optionFunc is an Option made of a function.
type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

// WithRealm sets the realm of the WWW-Authenticate challenge.
func WithRealm(realm string) Option { return optionFunc(func(s *settings) { s.realm = realm }) }

// WithCookieName reads the token from this cookie when there is no
// Authorization header. Default [DefaultCookieName].
func WithCookieName(name string) Option { return optionFunc(func(s *settings) { s.cookieName = name }) }

// WithoutCookie accepts tokens only from the Authorization header.
func WithoutCookie() Option { return optionFunc(func(s *settings) { s.cookieName = "" }) }

// WithMaxTokenSize caps the token length read from a request. Default
// [DefaultMaxTokenSize]; the Validator applies its own cap as well.
func WithMaxTokenSize(n int) Option { return optionFunc(func(s *settings) { s.maxTokenSize = n }) }

// WithCrossOriginProtection replaces the check that refuses cookie-borne
// tokens on cross-origin unsafe requests (CSRF: a cookie is sent by the
// browser whoever asks). Use it to add trusted origins:
//
//	cop := http.NewCrossOriginProtection()
//	if err := cop.AddTrustedOrigin("https://app.example.com"); err != nil { ... }
//	core.WithCrossOriginProtection(cop)
//
// Tokens in the Authorization header are not ambient and are never subject
// to it.
func WithCrossOriginProtection(p *http.CrossOriginProtection) Option {
	return optionFunc(func(s *settings) { s.crossOrigin = p })
}

// WithObserver sends this Authenticator's decisions to o instead of the
// Validator's Config.Observer (the default when the verifier is a
// *Validator; none otherwise).
func WithObserver(o Observer) Option { return optionFunc(func(s *settings) { s.observer = o }) }

// WithRefusalLog writes one record per refused request to logger at level
// (rate-limited per check: see RefusalLogBurst), with the failed check, the
// answer, method and path, issuer, alg, kid, the subject once the signature
// held, the token's fingerprint and the request id (see WithRequestID),
// never the token. Default: the Validator's Config.Logger (slog.Default()
// for another verifier) at DefaultRefusalLogLevel. A nil logger turns the
// log off.
func WithRefusalLog(logger *slog.Logger, level slog.Level) Option {
	return optionFunc(func(s *settings) {
		s.refusals = nil
		if logger != nil {
			s.refusals = &refusalLog{logger: logger, level: level, windows: map[string]*refusalWindow{}}
		}
	})
}

// WithErrorHandler replaces how failures are answered. The default writes
// NewErrorResponse(err, realm); a custom handler can log, add headers, and
// then call [ErrorResponse.Write] itself.
func WithErrorHandler(h func(w http.ResponseWriter, r *http.Request, err error)) Option {
	return optionFunc(func(s *settings) { s.onError = h })
}

// WithRules adds rules every request admitted by this Authenticator must
// pass, after the Validator's own.
func WithRules(rules ...Rule) Option {
	return optionFunc(func(s *settings) { s.rules = append(s.rules, rules...) })
}

// NewAuthenticator returns an Authenticator over v. It panics if v is nil,
// or a nil pointer such as the *Validator of a core.New whose error went
// unchecked: a programming error that no request can fix, and one that
// would otherwise panic on every request.
func NewAuthenticator(v TokenVerifier, opts ...Option) *Authenticator {
	if isNil(v) {
		panic(
			fmt.Sprintf(
				"identsphere: NewAuthenticator needs a TokenVerifier, "+
					"got %s (did core.New fail with an unchecked error?)",
				nilName(v),
			),
		)
	}
	a := &Authenticator{verifier: v, settings: settings{
		realm:        DefaultRealm,
		cookieName:   DefaultCookieName,
		maxTokenSize: DefaultMaxTokenSize,
		crossOrigin:  http.NewCrossOriginProtection(),
		observer:     nopObserver{},
	}}
	logger := slog.Default()
	if v, ok := v.(*Validator); ok {
		a.observer, logger = v.cfg.Observer, v.cfg.Logger
	}
	a.refusals = &refusalLog{logger: logger, level: DefaultRefusalLogLevel, windows: map[string]*refusalWindow{}}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&a.settings)
		}
	}
	return a
}

// Authenticate returns the claims of r's token, or the reason it is refused.
func (a *Authenticator) Authenticate(r *http.Request) (*Claims, error) {
	ad, _, err := a.authenticate(r)
	if err != nil {
		return nil, err
	}
	return &ad.claims, nil
}

// Admit authenticates r. On success it returns r carrying the claims in its
// context and true; on failure it has written the error response and
// returns false. This is the whole of a middleware:
//
//	if r, ok := a.Admit(w, r); ok { next.ServeHTTP(w, r) }
func (a *Authenticator) Admit(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	ad, token, err := a.authenticate(r)
	if err != nil {
		a.refuse(w, r, err, token, false)
		return r, false
	}
	a.observer.Decided(
		r.Context(),
		Decision{Admitted: true, Issuer: ad.claims.AdmittedBy, Cached: ad.cached, RevocationChecked: ad.revocation},
	)
	ad.ctx = authContext{
		Context: r.Context(), claims: &ad.claims, token: token, auth: a,
		method: r.Method, path: r.URL.Path,
	}
	// WithContext is inlined and its copy of the request does not escape:
	// the copy lands in ad without a heap allocation of its own.
	ad.req = *r.WithContext(&ad.ctx)
	return &ad.req, true
}

// admission is what an admitted request carries: the request's own copy of
// the claims (a handler that changes them changes no other request's, nor
// the verified-token cache's), the context that holds them, and the copy of
// the request with that context. One allocation on every admitted request
// instead of three.
type admission struct {
	claims     Claims
	ctx        authContext
	req        http.Request
	cached     bool // the Validator's cache answered
	revocation bool // the issuer's RevocationChecker was asked
	// ath is the token's base64url SHA-256, which a DPoP proof must
	// name, when the Validator remembers it: "" otherwise.
	ath string
}

// authenticate returns the admission of r and its token, or the reason r
// is refused: the token from the header or the cookie, then what every
// transport shares (admit).
func (a *Authenticator) authenticate(r *http.Request) (*admission, string, error) {
	token, source, err := extractToken(r, a.cookieName, a.maxTokenSize, a.dpop != nil)
	if err != nil {
		return nil, "", err
	}
	if source == FromCookie {
		if err := a.crossOrigin.Check(r); err != nil {
			return nil, token, &PolicyError{
				Rule:        CheckCrossOrigin,
				Description: "cross-origin requests may not use cookie credentials",
				Err:         err,
			}
		}
	}
	c := Call{Method: r.Method, TLS: r.TLS, req: r}
	if a.dpop != nil {
		c.DPoP = r.Header["Dpop"]
	}
	ad, err := a.admit(r.Context(), token, source, &c, nil)
	return ad, token, err
}

// admit verifies token, checks its binding to c (a DPoP proof, a client
// certificate), then the Authenticator's rules and rules: the one
// implementation behind every transport.
func (a *Authenticator) admit(
	ctx context.Context,
	token string,
	source TokenSource,
	c *Call,
	rules []Rule,
) (*admission, error) {
	ad, err := a.verify(ctx, token)
	if err != nil {
		if !isB64token(token) {
			return nil, errMalformedToken
		}
		return nil, err
	}
	if err := a.checkBinding(ctx, c, token, ad.ath, source, &ad.claims); err != nil {
		return nil, err
	}
	if err := CheckRules(ctx, &ad.claims, a.rules...); err != nil {
		return nil, err
	}
	if err := CheckRules(ctx, &ad.claims, rules...); err != nil {
		return nil, err
	}
	return ad, nil
}

// checkBinding enforces a sender-constrained token's binding (cnf): a DPoP
// proof of its key (RFC 9449), or the client certificate it names (RFC
// 8705). A bearer token costs two comparisons. ath is the token's hash, if
// known.
func (a *Authenticator) checkBinding(
	ctx context.Context,
	c *Call,
	token, ath string,
	source TokenSource,
	claims *Claims,
) error {
	if a.dpop != nil {
		if err := a.dpop.checkRequest(ctx, c, token, ath, source == FromDPoP, c.DPoP, claims); err != nil {
			return err
		}
	} else if claims.Confirmation.JKT != "" {
		return tokenErr(CheckDPoP, "the token is DPoP-bound, and this service does not take DPoP proofs", nil)
	}
	if claims.Confirmation.X5TS256 != "" {
		return a.certs.check(c, claims.Confirmation.X5TS256)
	}
	return nil
}

// verify verifies token into a new admission. A *Validator is asked for its
// shared claims, which are copied straight into the admission: the copy
// Verify would make is the one allocation a cache hit would otherwise add.
func (a *Authenticator) verify(ctx context.Context, token string) (*admission, error) {
	v, ok := a.verifier.(*Validator)
	if !ok {
		c, err := a.verifier.Verify(ctx, token)
		if err != nil {
			return nil, err
		}
		if c == nil { // a TokenVerifier that returns neither: fail closed
			return nil, tokenErr(CheckClaims, "the token verifier returned no claims", nil)
		}
		return &admission{claims: *c}, nil
	}
	r, err := v.verifyToken(ctx, token)
	if err != nil {
		return nil, err
	}
	ad := &admission{claims: *r.claims, cached: r.cached, revocation: r.iss.cfg.Revocation != nil, ath: r.ath}
	if err := r.iss.applyRules(ctx, &ad.claims); err != nil {
		return nil, err
	}
	return ad, nil
}

// WriteError answers a failure through the configured error handler,
// after reporting it (Observer, refusal log).
func (a *Authenticator) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	a.refuse(w, r, err, "", false)
}

// refuse reports and answers a refusal; token, when known, is only
// fingerprinted; route marks a route rule's refusal of an admitted request.
func (a *Authenticator) refuse(w http.ResponseWriter, r *http.Request, err error, token string, route bool) {
	resp := NewErrorResponse(err, a.realm)
	if resp.Status == http.StatusUnauthorized {
		if a.challengeScope != "" {
			resp.addAuthParam(a.challengeScope)
		}
		if a.resourceMetadata != "" {
			resp.addAuthParam(a.resourceMetadata)
		}
	}
	if a.dpop != nil {
		a.dpop.challenge(&resp, r, a.realm)
	}
	check := CheckOf(err)
	issuer := ""
	if te := asTokenError(err); te != nil {
		issuer = te.Issuer
	}
	a.observer.Decided(
		r.Context(),
		Decision{
			Check:             check,
			Status:            resp.Status,
			Issuer:            issuer,
			RevocationChecked: revocationCheck(check),
			Route:             route,
		},
	)
	a.refusals.record(r.Context(), r.Method, r.URL.Path, err, resp, check, token)
	if a.onError != nil {
		a.onError(w, r, err)
		return
	}
	resp.Write(w)
}

// Authorize applies route rules to a request the middleware already
// admitted. On failure it writes the error response (through the admitting
// Authenticator's handler) and returns false. A request that no middleware
// admitted is answered as missing a token: fail closed.
func Authorize(w http.ResponseWriter, r *http.Request, rules ...Rule) bool {
	return admitted(w, r, func(ac *authContext) error { return CheckRules(r.Context(), ac.claims, rules...) })
}

// MustFreshnessChecker returns f, and panics if f is nil or a nil pointer
// (such as the *Introspector of a NewIntrospector whose error went
// unchecked). The adapters' RequireFresh call it when a route is built, so
// the mistake shows at start-up rather than on every request.
func MustFreshnessChecker(f FreshnessChecker) FreshnessChecker {
	if isNil(f) {
		panic(
			fmt.Sprintf(
				"identsphere: RequireFresh needs a FreshnessChecker, got "+
					"%s (did NewIntrospector fail with an unchecked error?)",
				nilName(f),
			),
		)
	}
	return f
}

// isNil reports whether v is nil or holds a nil pointer, map, slice, func
// or channel, whose methods would dereference nil.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// nilName names a nil value for a panic message: "nil" or "a nil *T".
func nilName(v any) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("a nil %T", v)
}

// Fresh asks f whether the token of a request the middleware admitted is
// still live (not revoked) at the identity provider: the per-route
// freshness check, for routes where a locally valid but revoked token must
// not pass. It runs on every request, whether or not the token came from
// the verified-token cache. On failure it writes the error response and
// returns false.
func Fresh(w http.ResponseWriter, r *http.Request, f FreshnessChecker) bool {
	return admitted(w, r, func(ac *authContext) error { return f.CheckFresh(r.Context(), ac.token, ac.claims) })
}

// admitted runs check on the auth context of a request the middleware
// admitted, answering failures through the admitting Authenticator.
func admitted(w http.ResponseWriter, r *http.Request, check func(*authContext) error) bool {
	ac, _ := r.Context().Value(authContextKey{}).(*authContext)
	err := ErrMissingToken // no middleware admitted this request: fail closed
	if ac != nil && ac.claims != nil {
		err = check(ac)
	}
	if err == nil {
		return true
	}
	if ac != nil && ac.auth != nil {
		ac.auth.refuse(w, r, err, ac.token, true)
	} else {
		NewErrorResponse(err, DefaultRealm).Write(w)
	}
	return false
}
