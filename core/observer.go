package core

import (
	"context"
	"time"
)

// Observer sees every decision and every key event of a Validator and of
// the Authenticators over it, so that they can be exported as metrics and
// traces (package otelauth does it for OpenTelemetry). Set it in
// Config.Observer (MultiConfig.Observer, OpaqueConfig.Observer).
//
// Implementations must be safe for concurrent use and cheap: Decided runs on
// every request, cache hits included, and must not allocate there. Nothing
// an Observer receives holds a token or a secret.
type Observer interface {
	// Decided reports the answer to one request (or one direct Verify
	// call): admitted, or refused and why.
	Decided(ctx context.Context, d Decision)

	// Happened reports an event outside any one answer: keys loaded,
	// rotated or refused, a refresh that failed, an issuer unreachable or
	// back, an introspection endpoint that cannot work.
	Happened(ctx context.Context, e Event)

	// Start begins a timed operation: an uncached verification, a JWKS
	// fetch or an introspection call (never a cache hit: a span costs more
	// than the hit). It returns the context to run the operation in (to
	// carry a span linked to the request's) and the function that ends it
	// with the operation's error.
	Start(ctx context.Context, op Operation, issuer string) (context.Context, func(err error))
}

// Decision is the answer to one request.
type Decision struct {
	// Admitted is true when the request passed every check.
	Admitted bool
	// Check names the check that refused it, as [CheckOf] does: one of
	// the [Check] constants, or the Rule of an application's own
	// PolicyError. "" when admitted.
	Check Check
	// Status is the HTTP status of the answer; 0 for a direct Verify call.
	Status int
	// Issuer is the configured issuer that admitted the token, or that was
	// chosen to check it; "" when none was.
	Issuer string
	// Cached is true when the token was found in the verified-token cache.
	Cached bool
	// RevocationChecked is true when the token was looked up in the
	// issuer's RevocationChecker (Config.Revocation).
	RevocationChecked bool
	// Route is true for a refusal by a route's own rule (RequireScope,
	// RequireFresh, ...) of a request the middleware had admitted, and so
	// reported once already as admitted.
	Route bool
}

// Operation names what Observer.Start times.
type Operation string

// The timed operations.
const (
	OpVerify        Operation = "verify"        // an uncached verification
	OpJWKSFetch     Operation = "jwks_fetch"    // one fetch of a key set
	OpIntrospection Operation = "introspection" // one RFC 7662 call
)

// EventKind names an Event.
type EventKind string

// The events.
const (
	// EventKeysLoaded: the first usable key set is in (Kids, Algorithms).
	EventKeysLoaded EventKind = "keys_loaded"
	// EventKeysChanged: a refresh added or removed keys (Added, Removed).
	EventKeysChanged EventKind = "keys_changed"
	// EventKeyRefreshFailed: a refresh failed; the cached keys are kept (Err).
	EventKeyRefreshFailed EventKind = "key_refresh_failed"
	// EventKeyRefused: a published key is unusable (Kid, Reason); reported
	// once while it stays published.
	EventKeyRefused EventKind = "key_refused"
	// EventUnknownKIDRefresh: a token's unknown kid triggered a refresh.
	EventUnknownKIDRefresh EventKind = "unknown_kid_refresh"
	// EventIssuerUnreachable: keys could not be loaded at start (Err); the
	// loader retries.
	EventIssuerUnreachable EventKind = "issuer_unreachable"
	// EventIssuerRecovered: keys loaded after failed attempts.
	EventIssuerRecovered EventKind = "issuer_recovered"
	// EventIntrospectionMisconfigured: the introspection endpoint cannot
	// work until its configuration is fixed (Err names the setting).
	EventIntrospectionMisconfigured EventKind = "introspection_misconfigured"
	// EventClosed: the Validator was closed; keys are no longer refreshed.
	EventClosed EventKind = "closed"
	// EventDiscoveryChanged: the issuer's discovery document names another
	// jwks_uri or introspection_endpoint, now followed.
	EventDiscoveryChanged EventKind = "discovery_changed"
	// EventCacheEvicted: the verified-token cache, full, dropped Count
	// tokens that were still valid to make room.
	EventCacheEvicted EventKind = "cache_evicted"
	// EventTenantFailed: the first key load of an issuer made from an
	// IssuerTemplate failed (Err, which names its URLs); the issuer is
	// dropped, and its tenant's tokens are refused (503) for the template's
	// RetryFailedAfter. In this event and the two below, Issuer is the
	// template's ("{tenant}" included), never a tenant's: a token chooses
	// its tenant, and a metric label must stay bounded. The log names the
	// tenant's issuer.
	EventTenantFailed EventKind = "tenant_failed"
	// EventTenantRateLimited: Count tokens of tenants that had no issuer
	// were refused (503) because their template made new issuers as fast
	// as it may. Reported at most every 10 seconds per template.
	EventTenantRateLimited EventKind = "tenant_rate_limited"
	// EventTenantEvicted: an IssuerTemplate holding MaxIssuers loaded
	// issuers closed the least recently used one to make room.
	EventTenantEvicted EventKind = "tenant_evicted"
)

// Event is something that happened outside any one answer.
type Event struct {
	Kind   EventKind
	Issuer string
	// Kids and Algorithms describe the key set loaded; Added and Removed
	// the kids a refresh changed; Kid and Reason a refused key.
	Kids, Algorithms, Added, Removed []string
	Kid, Reason                      string
	// Count is how many tokens an EventCacheEvicted dropped.
	Count int
	// Err is the cause of a failure. It names URLs and statuses, never a
	// token or a secret.
	Err error
}

// nopObserver is the Observer when none is configured.
type nopObserver struct{}

func (nopObserver) Decided(context.Context, Decision) {}
func (nopObserver) Happened(context.Context, Event)   {}
func (nopObserver) Start(ctx context.Context, _ Operation, _ string) (context.Context, func(error)) {
	return ctx, nopEnd
}

func nopEnd(error) {}

// Status is what a Validator knows of its own health, for a readiness
// probe or a gauge: see Validator.Status.
type Status struct {
	// Ready is what Validator.Ready reports.
	Ready bool
	// CacheEntries is how many verified tokens are cached.
	CacheEntries int
	// Issuers has one entry per issuer held (several with NewMulti): the
	// configured ones first, then those made from templates (Template set).
	Issuers []IssuerStatus
	// Templates has one entry per IssuerTemplate (NewMulti).
	Templates []TemplateStatus
}

// TemplateStatus is what an IssuerTemplate holds and has refused.
type TemplateStatus struct {
	// Issuer is the template's, "{tenant}" included.
	Issuer string
	// Loaded is how many of its issuers have keys (at most MaxIssuers);
	// Loading how many are loading their first keys.
	Loaded, Loading int
	// FailedTenants is how many tenants are remembered as failed (at most
	// MaxFailedTenants), their tokens refused until retried.
	FailedTenants int
	// Failed, RateLimited and Evicted count, since NewMulti, the issuers
	// dropped because their first key load failed, the tokens refused
	// because no new issuer could be made so soon, and the issuers evicted
	// to make room.
	Failed, RateLimited, Evicted uint64
}

// IssuerStatus is the health of one issuer's keys.
type IssuerStatus struct {
	Issuer string
	// Template is the Issuer of the IssuerTemplate that made this issuer
	// for a tenant; "" for a configured issuer (or a template's shared
	// keys). Issuers made from templates never decide Status.Ready.
	Template string
	// Ready: keys are loaded and still refreshed.
	Ready bool
	// Keys is how many usable keys are cached.
	Keys int
	// KeysFetchedAt is when the key set was last fetched successfully;
	// zero before the first load.
	KeysFetchedAt time.Time
	// LastError is the last load or refresh failure, "" when the last
	// attempt succeeded. It names URLs and statuses, never a secret.
	LastError string
}
