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
// strict parser as access tokens (core.Validator.VerifyLogoutToken), and
// the answer always carries Cache-Control: no-store.
//
// # Several issuers
//
// sid, sub and jti are unique only per issuer. A revocation names the
// issuer whose keys verified the logout token (LogoutToken.AdmittedBy) and
// denies only the tokens that issuer admitted: with core.NewMulti, a logout
// at issuer B never ends a session of issuer A that bears the same sid or
// sub.
//
// # Answers
//
//   - 200: the revocation is in force here and durable in the Revoker's
//     store (with a *redisstore.Store: written to Redis, so every replica,
//     and every replica started later, refuses the session's tokens).
//   - 503 temporarily_unavailable with Retry-After (RetryAfter): the
//     revocation could not be made durable (Redis unreachable). It is in
//     force on this replica at once, and queued for Redis, but a restart
//     of this replica before Redis returns would lose it, and providers do
//     not send a logout again after a 200: the 503 asks the provider to
//     post it again. Also answered while the provider's keys are not
//     loaded yet.
//   - 400 invalid_request with a JSON body: not a valid logout token for
//     this client, or one already used.
//
// # Replays
//
// A logout token is accepted once per issuer and jti, for as long as it
// could be valid (its iat plus MaxAge, or its exp if sooner, each plus
// core.MaxLeeway). Each Handler remembers the tokens it accepted; with
// Config.Replay (redisstore.Store.ReplayCache), the whole fleet does, by
// one atomic SET NX per logout, so a token accepted at one replica is
// refused at every other (400). When that store cannot answer, the logout
// is processed anyway and a warning logged: a logout is safe to process
// twice (the revocations merge; a subject's is renewed from now, which
// denies more, not less), while refusing it could lose it. A logout
// answered 503 is forgotten, here and in the replay store, so the
// provider's retry is accepted; if the replay store fails between the two
// calls, the retry is refused as a replay, and the revocation stays in
// force on this replica and queued for Redis (logged as an error).
package backchannel
