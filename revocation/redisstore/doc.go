// Package redisstore shares token revocations across the replicas of a
// service through Redis, with no Redis round trip on the request path: a
// logout on one replica is refused by all of them within moments. It is a
// package of its own so that services that do not import it never compile
// go-redis.
//
// The setup, on every replica:
//
//	store, err := redisstore.New(ctx, redisstore.Config{URL: os.Getenv("REDIS_URL")})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer store.Close()
//	v, err := core.New(ctx, core.Config{Issuer: issuer, Audience: audience, Revocation: store})
//	// ... (check err, defer v.Close())
//	mux.Handle("GET /api/me", stdauth.Middleware(v)(me))
//	mux.Handle("POST /api/transfer", stdauth.Middleware(v)(stdauth.RequireFresh(store)(transfer)))
//	// on logout, on any replica: store.RevokeSession(ctx, claims.AdmittedBy, claims.SessionID, claims.ExpiresAt)
//
// # How it works
//
// Every replica holds every denial in memory, in a core.Denylist: Revoked
// costs what core.Denylist's does. A revocation is applied on the replica
// that issues it at once, then written to Redis, one key per denial
// (<KeyPrefix>v2:<jti|sid|sub>:<length of the issuer>:<issuer>:<id>,
// expiring with the tokens it denies, plus Config.ExpiryMargin) and
// published on Config.Channel, atomically, by one script. Every replica
// subscribes and applies what is published. Revocations are keyed by
// issuer and jti, sid or sub, never by the token string: ES256 signatures
// are malleable, so one token has several valid encodings.
//
// # Issuers, and the format version
//
// A jti, sid or sub is unique only per issuer, so every denial names its
// issuer (the Claims.AdmittedBy of the tokens it denies; the issuer that
// verified a logout token) and denies only the tokens that issuer
// admitted: with several issuers (core.NewMulti), a logout at issuer B
// never ends a session of issuer A that bears the same sid. Keys and
// messages start with the format version, v2. Those of the first format,
// written by earlier releases, named no issuer: they are ignored, never
// applied (they would deny every issuer's tokens), and logged (messages
// once per replica; keys once per resynchronisation). Upgrade every
// replica of a fleet together: the upgraded ones do not apply what an old
// one revokes, and the old ones, which cannot read the new messages, read
// every key again (at most once a HealthInterval) without finding them.
//
// Pub/sub is lossy: a message published while a replica is disconnected
// never reaches it. So on start and on every reconnection a replica
// subscribes first, then reads every key under the prefix (SCAN, a page at
// a time) while it applies what is published: a denial written before the
// subscription is in the keys, one written after is published to it.
// Whatever that read does (slow, failing, finding more than
// Config.MaxEntries keys), the replica never stops applying what is
// published. Denials expire in Redis with their keys
// and in memory on a sweep (Config.SweepInterval), so memory holds only the
// denials still in force.
//
// # When Redis is down
//
//   - Requests go on: Revoked answers from the denials already known.
//   - A revocation issued meanwhile is in force on its replica at once; the
//     call returns an error wrapping ErrPending, and the revocation is
//     written (and published) as soon as Redis answers. The other replicas
//     learn it then.
//   - A replica that starts meanwhile knows no denial until Redis answers:
//     Revoked admits every otherwise valid token; CheckFresh (RequireFresh
//     routes) refuses with 503 unless Config.FreshFailOpen; it synchronises
//     as soon as Redis answers (WaitSynced, Synced).
//   - A replica whose connection is lost is out of sync until it has
//     reconnected and read every denial again; meanwhile CheckFresh refuses
//     as above.
//   - A replica that finds more keys than Config.MaxEntries holds the first
//     MaxEntries, applies every denial published, and stays out of sync
//     (CheckFresh refuses; Status().OverCapacity; an error log) until a
//     read, retried every minute, finds they fit.
//
// Run Redis with persistence (appendonly yes): a Redis that loses its data
// forgets the denials for replicas that start afterwards (running replicas
// keep theirs until they expire).
//
// # A Redis that lies
//
// Every Redis call is bounded by Config.Timeout (a hung Redis makes a
// revocation return ErrPending, and a replica out of sync, never a request
// wait). A key under the prefix that holds no readable denial (garbage,
// another type) denies what its name says until it expires, or for 24 hours
// if it never does: fail closed. An unreadable message makes the replica
// read every key again. Neither ever panics; both are logged. Replies that
// would make go-redis panic on the subscription end the connection
// instead, and the replica reconnects. The password is never logged: logs
// name Redis by address and database. (go-redis also reports some
// connection failures to its own logger, the standard library's by
// default; see redis.SetLogger. Those name the address, not the password.)
//
// Give each fleet its own KeyPrefix (or database): resynchronisation scans
// the database, so a database of its own keeps it linear in the denials.
// The Redis user needs SUBSCRIBE, PING, SCAN, GET, PTTL, and EVALSHA and
// EVAL of a script that runs GET, SET and PUBLISH; a ReplayCache needs SET
// and DEL.
package redisstore
