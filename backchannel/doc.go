// Package backchannel receives OpenID Connect Back-Channel Logout tokens
// (OpenID Connect Back-Channel Logout 1.0): when a user logs out at the
// provider, the provider posts a logout token to this service, and every
// token of that session (or, without a session id, of that user) is
// revoked at once, on every replica that shares the revocation store.
//
//	v, _ := core.New(ctx, core.Config{Issuer: issuer, Audience: []string{"orders-api"}, Revocation: deny})
//	h, err := backchannel.NewHandler(backchannel.Config{
//		Validator: v,
//		ClientID:  "orders-api-client", // the aud of the logout tokens
//		Revoker:   deny.Revoker(),      // or a *redisstore.Store, shared by the fleet
//	})
//	if err != nil { ... }
//	mux.Handle("POST /backchannel-logout", h) // register this URL at the provider
//
// The logout token is verified with the same issuer keys and the same
// strict parser as access tokens (core.Validator.VerifyLogoutToken), a jti
// is never accepted twice, and the answer is 200 on success, or 400
// invalid_request with a JSON body, always with Cache-Control: no-store.
package backchannel
