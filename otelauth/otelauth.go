package otelauth

import (
	"context"
	"errors"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/identsphere/identsphere-go/core"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/identsphere/identsphere-go/otelauth"

// The instruments. Counters count one per event; durations are in seconds.
// With the Prometheus exporter the dots become underscores, counters take
// a _total suffix and the seconds a _seconds one
// (identsphere_decisions_total, identsphere_verify_duration_seconds).
const (
	// MetricDecisions counts answers, by result ("admitted", "refused"),
	// check (the failed check of a refusal, see core.CheckOf) and issuer.
	MetricDecisions = "identsphere.decisions"
	// MetricCacheHits and MetricCacheMisses count admitted tokens that the
	// verified-token cache answered, or that were verified in full, by
	// issuer. With the cache off every admitted token is a miss.
	MetricCacheHits   = "identsphere.cache.hits"
	MetricCacheMisses = "identsphere.cache.misses"
	// MetricJWKSFetches counts key set fetches, by outcome ("ok",
	// "timeout", "error") and issuer.
	MetricJWKSFetches = "identsphere.jwks.fetches"
	// MetricUnknownKIDRefreshes counts refreshes a token's unknown kid
	// started, by issuer.
	MetricUnknownKIDRefreshes = "identsphere.unknown_kid_refreshes"
	// MetricIntrospectionCalls counts RFC 7662 calls, by outcome ("ok",
	// "timeout", "error") and issuer.
	MetricIntrospectionCalls = "identsphere.introspection.calls"
	// MetricEvents counts key and configuration events, by event (a
	// core.EventKind: "keys_changed", "key_refresh_failed", ...) and
	// issuer.
	MetricEvents = "identsphere.events"

	// MetricRevocationChecks counts the tokens looked up in a
	// RevocationChecker (core.Config.Revocation), by issuer.
	MetricRevocationChecks = "identsphere.revocation.checks"

	// MetricCacheEvictions counts still-valid tokens the verified-token
	// cache dropped, full, to make room: a sign that Config.CacheSize is
	// too small for the traffic.
	MetricCacheEvictions = "identsphere.cache.evictions"

	// MetricVerifyDuration is the time of an uncached verification, by
	// result and issuer.
	MetricVerifyDuration = "identsphere.verify.duration"
	// MetricJWKSFetchDuration is the time of a key set fetch, by outcome
	// and issuer.
	MetricJWKSFetchDuration = "identsphere.jwks.fetch.duration"
	// MetricIntrospectionDuration is the time of an introspection call,
	// by outcome and issuer.
	MetricIntrospectionDuration = "identsphere.introspection.duration"

	// The gauges, observed from core.Validator.Status when the Observer
	// watches a Validator (see Observer.Watch).

	// MetricKeys is how many usable keys are cached, by issuer.
	MetricKeys = "identsphere.keys"
	// MetricKeysAge is the age of the key set in seconds (the time since
	// the last successful fetch), by issuer.
	MetricKeysAge = "identsphere.keys.age"
	// MetricKeysRefreshFailing is 1 while an issuer's last key load or
	// refresh failed (the cached keys are still used), else 0.
	MetricKeysRefreshFailing = "identsphere.keys.refresh_failing"
	// MetricCacheEntries is how many verified tokens are cached.
	MetricCacheEntries = "identsphere.cache.entries"
	// MetricReady is 1 when the Validator can check tokens, else 0.
	MetricReady = "identsphere.ready"
)

// The attribute keys. Their values come from fixed sets (results,
// outcomes, core.CheckOf names, core.EventKind) or from the configuration
// (issuers), never from a token.
const (
	AttrResult  = "result"
	AttrCheck   = "check"
	AttrIssuer  = "issuer"
	AttrOutcome = "outcome"
	// AttrStage is "route" on a refusal by a route's own rule (a scope,
	// a fresh check) of a request the middleware admitted and counted as
	// admitted already; other decisions have no stage. Leave out the
	// decisions with stage="route" to count requests.
	AttrStage = "stage"
	AttrEvent = "event"
)

// The span names, and the span attributes' keys.
const (
	SpanVerify        = "identsphere.verify"
	SpanJWKSFetch     = "identsphere.jwks.fetch"
	SpanIntrospection = "identsphere.introspection"

	SpanAttrIssuer  = "identsphere.issuer"
	SpanAttrCheck   = "identsphere.check"
	SpanAttrOutcome = "identsphere.outcome"
)

// maxDecisionSets bounds the attribute sets kept for Decided. Checks and
// issuers come from the library and the configuration, so a real service
// needs a few dozen; past the bound, decisions are counted under check and
// issuer "other" rather than grow the map (or a metric's cardinality).
const maxDecisionSets = 1024

// Config configures an Observer.
type Config struct {
	// MeterProvider makes the instruments. Default otel.GetMeterProvider(),
	// which records nothing until a provider is installed with
	// otel.SetMeterProvider, and then follows it.
	MeterProvider metric.MeterProvider
	// TracerProvider makes the spans. Default otel.GetTracerProvider(),
	// which follows a provider installed later with otel.SetTracerProvider.
	TracerProvider trace.TracerProvider
}

// StatusReporter is what Watch reads the gauges from: a *core.Validator.
type StatusReporter interface {
	Status() core.Status
}

// Observer is a core.Observer that records OpenTelemetry metrics and
// spans. Use one per Validator. It is safe for concurrent use.
type Observer struct {
	tracer trace.Tracer
	meter  metric.Meter

	// The answers are counted in each decisionSet's atomics and observed
	// by a callback at collection: a cache hit costs one atomic addition,
	// whatever the provider, where the SDK's synchronous counters cost
	// hundreds of nanoseconds (bench/README.md).
	decisions, cacheHits, cacheMisses, revocationChecks metric.Int64ObservableCounter
	cacheEvictions                                      metric.Int64Counter
	jwksFetches, unknownKID, introspections, events     metric.Int64Counter
	verifyDuration, jwksDuration, introspectionDuration metric.Float64Histogram

	// sets maps (result, check, issuer) to its counts and precomputed
	// options: copied on write, read without a lock, so that Decided does
	// not allocate.
	sets     atomic.Pointer[map[decisionKey]*decisionSet]
	setsMu   sync.Mutex
	overflow [2]*decisionSet // refused, admitted: past maxDecisionSets

	mu       sync.Mutex
	counting metric.Registration // the decisions' callback
	watched  bool
	reg      metric.Registration // the gauges' callback
}

var _ core.Observer = (*Observer)(nil)

type decisionKey struct {
	admitted bool
	route    bool
	check    core.Check
	issuer   string
}

// decisionSet counts the answers of one (result, check, issuer), and holds
// its options as slices passed on with ..., so that no call builds one.
type decisionSet struct {
	admitted bool
	// refused counts a refused set's answers; hits and misses an admitted
	// set's (whose answers are their sum).
	refused, hits, misses atomic.Int64
	revocation            atomic.Int64 // revocation checks

	decision []metric.ObserveOption // result, check, issuer
	issuer   []metric.ObserveOption // issuer alone, for the cache counters
}

// Latency buckets, in seconds: an uncached verification takes tens of
// microseconds to a millisecond; a fetch or a call over the network,
// milliseconds to the HTTP timeout.
func verifyBuckets() []float64 {
	return []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}
}

func networkBuckets() []float64 {
	return []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
}

// New returns an Observer that records through cfg's providers. Set it in
// core.Config.Observer (or MultiConfig, OpaqueConfig), then call Watch with
// the Validator for the gauges.
func New(cfg Config) (*Observer, error) {
	mp, tp := cfg.MeterProvider, cfg.TracerProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	o := &Observer{
		meter:  mp.Meter(ScopeName),
		tracer: tp.Tracer(ScopeName),
	}
	var errs []error
	observableCounter := func(name, unit, desc string) metric.Int64ObservableCounter {
		c, err := o.meter.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := o.meter.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	histogram := func(name, desc string, buckets []float64) metric.Float64Histogram {
		h, err := o.meter.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(buckets...))
		errs = append(errs, err)
		return h
	}
	o.decisions = observableCounter(
		MetricDecisions,
		"{decision}",
		"Requests answered, by result, failed check and issuer.",
	)
	o.cacheHits = observableCounter(MetricCacheHits, "{token}", "Admitted tokens found in the verified-token cache.")
	o.cacheMisses = observableCounter(
		MetricCacheMisses,
		"{token}",
		"Admitted tokens verified in full (not found in the verified-token cache).",
	)
	o.revocationChecks = observableCounter(
		MetricRevocationChecks,
		"{check}",
		"Tokens looked up in the revocation checker (Config.Revocation), by issuer.",
	)
	o.cacheEvictions = counter(
		MetricCacheEvictions,
		"{token}",
		"Still-valid tokens dropped from the full verified-token cache to make room.",
	)
	o.jwksFetches = counter(MetricJWKSFetches, "{fetch}", "Key set (JWKS) fetches, by outcome.")
	o.unknownKID = counter(
		MetricUnknownKIDRefreshes,
		"{refresh}",
		"Key set refreshes started by a token's unknown kid.",
	)
	o.introspections = counter(MetricIntrospectionCalls, "{call}", "Token introspection (RFC 7662) calls, by outcome.")
	o.events = counter(
		MetricEvents,
		"{event}",
		"Key and configuration events: keys loaded or changed, refresh failed, key refused, issuer unreachable or "+
			"recovered, introspection misconfigured.",
	)
	o.verifyDuration = histogram(MetricVerifyDuration, "Time of an uncached token verification.", verifyBuckets())
	o.jwksDuration = histogram(MetricJWKSFetchDuration, "Time of a key set (JWKS) fetch.", networkBuckets())
	o.introspectionDuration = histogram(
		MetricIntrospectionDuration,
		"Time of a token introspection call.",
		networkBuckets(),
	)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	o.overflow[0] = newDecisionSet(decisionKey{check: "other", issuer: "other"})
	o.overflow[1] = newDecisionSet(decisionKey{admitted: true, issuer: "other"})
	o.sets.Store(&map[decisionKey]*decisionSet{})
	reg, err := o.meter.RegisterCallback(
		o.observeDecisions,
		o.decisions,
		o.cacheHits,
		o.cacheMisses,
		o.revocationChecks,
	)
	if err != nil {
		return nil, err
	}
	o.counting = reg
	return o, nil
}

// observeDecisions reports the answers counted so far.
func (o *Observer) observeDecisions(_ context.Context, obs metric.Observer) error {
	revocations := map[*[]metric.ObserveOption]int64{} // by issuer: several sets share one
	byIssuer := map[string]*[]metric.ObserveOption{}
	report := func(k string, s *decisionSet) {
		if n := s.revocation.Load(); n > 0 {
			key := byIssuer[k]
			if key == nil {
				key = &s.issuer
				byIssuer[k] = key
			}
			revocations[key] += n
		}
		if !s.admitted {
			if n := s.refused.Load(); n > 0 {
				obs.ObserveInt64(o.decisions, n, s.decision...)
			}
			return
		}
		hits, misses := s.hits.Load(), s.misses.Load()
		if hits+misses == 0 {
			return
		}
		obs.ObserveInt64(o.decisions, hits+misses, s.decision...)
		obs.ObserveInt64(o.cacheHits, hits, s.issuer...)
		obs.ObserveInt64(o.cacheMisses, misses, s.issuer...)
	}
	for k, s := range *o.sets.Load() {
		report(k.issuer, s)
	}
	for _, s := range o.overflow {
		report("other", s)
	}
	for opts, n := range revocations {
		obs.ObserveInt64(o.revocationChecks, n, (*opts)...)
	}
	return nil
}

func newDecisionSet(k decisionKey) *decisionSet {
	iss := attribute.String(AttrIssuer, k.issuer)
	var dec attribute.Set
	switch {
	case k.admitted:
		dec = attribute.NewSet(attribute.String(AttrResult, "admitted"), iss)
	case k.route:
		dec = attribute.NewSet(
			attribute.String(AttrResult, "refused"),
			attribute.String(AttrCheck, string(k.check)),
			iss,
			attribute.String(AttrStage, "route"),
		)
	default:
		dec = attribute.NewSet(
			attribute.String(AttrResult, "refused"),
			attribute.String(AttrCheck, string(k.check)),
			iss,
		)
	}
	return &decisionSet{
		admitted: k.admitted,
		decision: []metric.ObserveOption{metric.WithAttributeSet(dec)},
		issuer:   []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(iss))},
	}
}

// set returns the options of d's (result, check, issuer).
func (o *Observer) set(d *core.Decision) *decisionSet {
	k := decisionKey{admitted: d.Admitted, route: d.Route, check: d.Check, issuer: d.Issuer}
	if k.admitted {
		k.check = ""
	}
	if s, ok := (*o.sets.Load())[k]; ok {
		return s
	}
	o.setsMu.Lock()
	defer o.setsMu.Unlock()
	old := *o.sets.Load()
	if s, ok := old[k]; ok {
		return s
	}
	if len(old) >= maxDecisionSets {
		if k.admitted {
			return o.overflow[1]
		}
		return o.overflow[0]
	}
	next := make(map[decisionKey]*decisionSet, len(old)+1)
	maps.Copy(next, old)
	s := newDecisionSet(k)
	next[k] = s
	o.sets.Store(&next)
	return s
}

// Decided counts one answer: one atomic addition, reported at the next
// collection. It does not allocate once its (result, check, issuer) has
// been seen.
func (o *Observer) Decided(_ context.Context, d core.Decision) {
	s := o.set(&d)
	if d.RevocationChecked {
		s.revocation.Add(1)
	}
	switch {
	case !d.Admitted:
		s.refused.Add(1)
	case d.Cached:
		s.hits.Add(1)
	default:
		s.misses.Add(1)
	}
}

// Happened counts one event, and an unknown-kid refresh on its own
// counter too.
func (o *Observer) Happened(ctx context.Context, e core.Event) {
	iss := attribute.String(AttrIssuer, e.Issuer)
	o.events.Add(ctx, 1, metric.WithAttributes(attribute.String(AttrEvent, string(e.Kind)), iss))
	switch e.Kind {
	case core.EventUnknownKIDRefresh:
		o.unknownKID.Add(ctx, 1, metric.WithAttributes(iss))
	case core.EventCacheEvicted:
		o.cacheEvictions.Add(ctx, int64(e.Count), metric.WithAttributes(iss))
	}
}

// Start begins a span for op, a child of the span ctx carries (the
// request's), and returns the function that ends it: it records the
// duration and, for a fetch or a call, counts it by outcome. A failed
// operation's span has status Error, described by the failed check (a
// verification) or the error, which names URLs and statuses, never a token
// or a secret.
func (o *Observer) Start(ctx context.Context, op core.Operation, issuer string) (context.Context, func(error)) {
	name, kind := SpanVerify, trace.SpanKindInternal
	switch op {
	case core.OpVerify:
	case core.OpJWKSFetch:
		name, kind = SpanJWKSFetch, trace.SpanKindClient
	case core.OpIntrospection:
		name, kind = SpanIntrospection, trace.SpanKindClient
	default: // an operation this package does not know yet: a span only
		name = "identsphere." + string(op)
	}
	ctx, span := o.tracer.Start(ctx, name, trace.WithSpanKind(kind),
		trace.WithAttributes(attribute.String(SpanAttrIssuer, issuer)))
	start := time.Now()
	return ctx, func(err error) {
		elapsed := time.Since(start).Seconds()
		iss := attribute.String(AttrIssuer, issuer)
		if op == core.OpVerify {
			result, check := "admitted", core.CheckOf(err)
			if err != nil {
				result = "refused"
				span.SetAttributes(attribute.String(SpanAttrCheck, string(check)))
				span.SetStatus(codes.Error, "refused: "+string(check))
			}
			o.verifyDuration.Record(ctx, elapsed, metric.WithAttributes(attribute.String(AttrResult, result), iss))
			span.End()
			return
		}
		outcome := outcomeOf(err)
		attrs := metric.WithAttributes(attribute.String(AttrOutcome, outcome), iss)
		switch op {
		case core.OpJWKSFetch:
			o.jwksFetches.Add(ctx, 1, attrs)
			o.jwksDuration.Record(ctx, elapsed, attrs)
		case core.OpIntrospection:
			o.introspections.Add(ctx, 1, attrs)
			o.introspectionDuration.Record(ctx, elapsed, attrs)
		}
		span.SetAttributes(attribute.String(SpanAttrOutcome, outcome))
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}

// outcomeOf names how a fetch or a call ended.
func outcomeOf(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "error"
}

// Watch registers the gauges, read from v.Status() at each collection:
// identsphere.keys, identsphere.keys.age and identsphere.keys.refresh_failing
// per issuer, identsphere.cache.entries and identsphere.ready. An Observer
// watches one Validator; Close unregisters them.
func (o *Observer) Watch(v StatusReporter) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.watched {
		return errors.New("otelauth: Watch called twice: use one Observer per Validator")
	}
	keys, err1 := o.meter.Int64ObservableGauge(
		MetricKeys,
		metric.WithUnit("{key}"),
		metric.WithDescription("Usable signing keys cached, per issuer."),
	)
	age, err2 := o.meter.Float64ObservableGauge(
		MetricKeysAge,
		metric.WithUnit("s"),
		metric.WithDescription("Time since the issuer's key set was last fetched successfully."),
	)
	failing, err3 := o.meter.Int64ObservableGauge(
		MetricKeysRefreshFailing,
		metric.WithDescription(
			"1 while the issuer's last key load or refresh failed (the cached keys are kept), else 0.",
		),
	)
	entries, err4 := o.meter.Int64ObservableGauge(
		MetricCacheEntries,
		metric.WithUnit("{token}"),
		metric.WithDescription("Verified tokens cached."),
	)
	ready, err5 := o.meter.Int64ObservableGauge(
		MetricReady,
		metric.WithDescription("1 when tokens can be checked (keys loaded and refreshed), else 0."),
	)
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return err
	}
	reg, err := o.meter.RegisterCallback(func(_ context.Context, obs metric.Observer) error {
		st := v.Status()
		obs.ObserveInt64(entries, int64(st.CacheEntries))
		obs.ObserveInt64(ready, boolInt(st.Ready))
		now := time.Now()
		for _, is := range st.Issuers {
			attrs := metric.WithAttributes(attribute.String(AttrIssuer, is.Issuer))
			obs.ObserveInt64(keys, int64(is.Keys), attrs)
			obs.ObserveInt64(failing, boolInt(is.LastError != ""), attrs)
			if !is.KeysFetchedAt.IsZero() {
				obs.ObserveFloat64(age, now.Sub(is.KeysFetchedAt).Seconds(), attrs)
			}
		}
		return nil
	}, keys, age, failing, entries, ready)
	if err != nil {
		return err
	}
	o.watched, o.reg = true, reg
	return nil
}

// Close unregisters the Observer's callbacks from the meter provider: the
// gauges Watch registered and the counts of answers, which are no longer
// reported. Fetches, calls and spans keep being recorded. Close is for an
// Observer that does not live as long as its meter provider.
func (o *Observer) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var errs []error
	for _, reg := range []*metric.Registration{&o.reg, &o.counting} {
		if *reg != nil {
			errs = append(errs, (*reg).Unregister())
			*reg = nil
		}
	}
	return errors.Join(errs...)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
