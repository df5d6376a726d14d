// Package authtest runs a fake OpenID Connect issuer on loopback, for tests
// and local development only. Never use it in production: it signs whatever
// it is asked to, accepts any password, and by default keeps its signing keys
// in memory with no protection.
//
// An Issuer is a real HTTP server (httptest.Server on 127.0.0.1) that serves
// a discovery document at /.well-known/openid-configuration and its public
// keys at /.well-known/jwks.json, and mints real compact-JWS access tokens
// signed with those keys. Tests therefore exercise the same code path as
// production: discovery, JWKS fetch, signature verification, claim checks.
//
// Besides the happy path, an Issuer can misbehave on purpose so that the
// failure handling of a relying party can be tested: rotate, remove or
// replace keys (AddKey, RemoveKey, UseKey, SetJWKS), advertise a different
// issuer (WithDiscoveryIssuer), hide discovery (WithoutDiscovery), fail its
// endpoints (SetFault), and mint hostile tokens (SignWithKey, WithHeader,
// WithAlg, SignWithSecret).
//
// It also serves minimal login, signup, logout and refresh endpoints under
// /v1/auth/ so that a development setup has an identity provider to talk to
// without any configuration.
//
// # Testing your handlers
//
// The kit's helpers take the test, fail it with the reason rather than
// returning errors, and close what they start when the test ends. Behind
// the middleware, with real tokens:
//
//	func TestMe(t *testing.T) {
//		iss := authtest.Start(t) // a fake issuer, closed when the test ends
//		h := stdauth.Middleware(iss.Validator(t))(http.HandlerFunc(me))
//		rec := httptest.NewRecorder()
//		h.ServeHTTP(rec, iss.Request(t, "GET", "/api/me", authtest.Claims{"sub": "alice"}))
//		if rec.Code != http.StatusOK {
//			t.Fatalf("%d %s", rec.Code, rec.Body)
//		}
//	}
//
// Issuer.CookieRequest puts the token in the CookieName cookie instead, as a
// browser sends it; Issuer.Token mints one for requests of your own;
// Issuer.Introspector serves routes behind RequireFresh, and Revoke makes
// them refuse a token. Issuer.Validator waits at most ReadyTimeout for the
// keys, so a misconfigured test fails in seconds.
//
// A handler alone, without a token, sees the claims the middleware would
// have given it, custom claims included:
//
//	handler(rec, authtest.Admitted(t, req, authtest.Claims{"roles": []string{"admin"}}))
//
// NewClaims returns those claims, for core.WithClaims.
package authtest
