// Package otelauth exports what an identsphere Validator sees as
// OpenTelemetry metrics and traces: every answer by result and failed
// check, the verified-token cache's hits and misses, key set fetches,
// unknown-kid refreshes and introspection calls by outcome, their
// latencies, and gauges of the keys held (how many, how old, whether the
// last refresh failed), the cache's size and readiness. Spans cover an
// uncached verification, a key set fetch and an introspection call, as
// children of the request's span; a cache hit has none (a span would cost
// more than the hit).
//
// It depends on the OpenTelemetry API only, which records nothing until a
// provider is installed; core does not depend on it at all, so a service
// that does not import this package pays nothing for it. With no provider,
// a cache hit still allocates once (core's own allocation).
//
// The setup:
//
//	obs, err := otelauth.New(otelauth.Config{}) // the global providers
//	if err != nil {
//		log.Fatal(err)
//	}
//	v, err := core.New(ctx, core.Config{Issuer: issuer, Audience: []string{"orders-api"}, Observer: obs})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer v.Close()
//	if err := obs.Watch(v); err != nil { // the gauges
//		log.Fatal(err)
//	}
//
// Attribute values come from fixed sets (results, outcomes, the check
// names of core.CheckOf, core.EventKind) and from the configuration (the
// issuer), never from a token: no metric label, span attribute or span
// status holds a token, a subject, a kid or a secret. To find one user's
// refused request, use the refusal log (see core.WithRefusalLog), whose
// records carry the request id and the token's fingerprint.
package otelauth
