// Package core verifies IdentSphere (or any OpenID Connect) access tokens
// locally, for web services. It is framework-neutral: the stdauth, chiauth
// and ginauth packages adapt it to net/http, chi and gin, and make no
// decision of their own.
//
// The ten-line setup for net/http:
//
//	v, err := core.New(ctx, core.Config{
//		Issuer:   "https://id.example.com",  // discovery, then iss check
//		Audience: []string{"orders-api"},     // required: tokens for others are refused
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer v.Close()
//	mux.Handle("GET /api/me", stdauth.Middleware(v)(me))
//	// in the handler: claims, _ := core.ClaimsFrom(r.Context())
//
// # What a token must pass
//
// A token is at most 16 KiB of base64url in three parts (JWE and other
// shapes are refused). Its header names an algorithm from the allow-list
// (never none or HS*), has no crit, b64, zip, enc or cty, and its key comes
// only from the issuer's JWKS: jku, x5u and jwk headers are never fetched.
// The key must fit the algorithm (RSA of 2048 bits or more, the right EC
// curve, Ed25519); a token without kid is accepted only when exactly one key
// fits. Then the signature (golang-jwt), then the claims: exp required and
// not past, nbf and iat not in the future, all with a small leeway (whole
// seconds); iss exactly the configured issuer; aud containing one
// of the configured audiences; sub present. Application rules come last.
// Claims are read byte for byte: duplicated or case-variant claims cannot
// smuggle a value past a check.
//
// # Keys
//
// Keys are fetched with bounded timeouts and response sizes, refreshed
// every few minutes and, rate-limited, when a token names an unknown kid, so
// a rotated key is usable within seconds while junk kids cannot flood the
// issuer. The JWKS is read key by key, and a key that must not verify (use
// not "sig", key_ops without "verify", symmetric, weak RSA, an EC point off
// its curve, a small-order Ed25519 point, unparsable) is refused and logged
// on its own while the set's other keys stay in use. A refresh that fails
// or brings no usable key keeps the cached keys. [New] never blocks: keys
// load in the background, retried with backoff while the issuer is down,
// and requests meanwhile get 503 with Retry-After. The background work lives
// until [Validator.Close], not the context given to New.
//
// # Errors
//
// Every failure is a typed error that names the failed check without
// echoing the token, matches one of [ErrMissingToken], [ErrInvalidRequest],
// [ErrInvalidToken], [ErrInsufficientScope],
// [ErrInsufficientUserAuthentication] (a step-up: see [RequireStepUp]),
// [ErrForbidden] or [ErrKeysUnavailable] with errors.Is, names its check
// with a [Check] constant (see [CheckOf]), and maps to its RFC 6750 answer
// with [NewErrorResponse].
//
// # Architecture: the request path
//
// One request, step by step, and the file (from the module root) where each
// step lives; a test checks that every file named here exists.
//
//	adapter        stdauth/stdauth.go, chiauth/chiauth.go, ginauth/ginauth.go, grpcauth/grpcauth.go,
//	               connectauth/connectauth.go: translate the request and the answer, decide nothing
//	authenticator  core/authenticator.go (Admit), core/transport.go (a Call of another transport)
//	extraction     core/extract.go: one Authorization header or the cookie, Bearer or DPoP
//	validator      core/validator.go (Verify): the verified-token cache first, core/cache.go
//	token          internal/jose/compact.go, internal/jose/header.go: the JWS split, its header read
//	issuer         core/multi.go chooses it by iss (several issuers); core/issuer.go checks with it
//	keys           core/keysource.go (lookup), core/keystore.go; internal/jose/jwks.go, internal/jose/keycheck.go
//	signature      core/issuer.go (checkSignature), internal/jose/algorithms.go
//	claims         core/claims.go (internal/strictjson), core/issuer.go (checkClaims), core/profile.go
//	revocation     core/issuer.go (applyRules), core/revocation.go; then the cache keeps the token
//	binding        core/dpop.go (internal/jose/proof.go), core/certbinding.go
//	rules          core/rules.go, core/claimpath.go, core/stepup.go
//	lease          core/lease.go, core/revocation_notify.go: a stream's end at exp or revocation
//	decision       core/response.go (the answer), core/refusallog.go, core/observer.go, core/check.go
package core
