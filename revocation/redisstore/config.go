package redisstore

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of Config.
const (
	DefaultKeyPrefix      = "identsphere:revoked:"
	DefaultChannel        = "identsphere:revocations"
	DefaultTimeout        = 2 * time.Second
	DefaultHealthInterval = time.Second
	DefaultSweepInterval  = time.Minute
	DefaultExpiryMargin   = time.Minute
	DefaultMaxEntries     = 1_000_000
	DefaultMaxPending     = 100_000
)

// Config configures New. Set exactly one of URL and Client; everything else
// has a default.
type Config struct {
	// URL is the Redis to use, as redis.ParseURL reads it:
	// redis://[[user]:password@]host:port[/db] (rediss:// for TLS). The
	// Store makes its own client, with Timeout on every call, and closes it
	// in Close. The password is never logged, nor put in an error.
	URL string
	// Client is a client of your own, instead of URL (Sentinel: a
	// redis.NewFailoverClient). Its calls must be bounded: a positive
	// ReadTimeout and WriteTimeout, or ContextTimeoutEnabled (the Store puts
	// Timeout on every call's context). Close leaves it open. Redis Cluster
	// is not supported: resynchronisation scans one database.
	Client *redis.Client
	// KeyPrefix starts the name of every key the Store writes: one key per
	// denial, <KeyPrefix>v2:<jti|sid|sub>:<length of the issuer>:<issuer>:<id>
	// (see the package doc). Give each fleet its own prefix
	// (or database), none an extension of another's, and do not write under
	// it yourself. Default DefaultKeyPrefix.
	KeyPrefix string
	// Channel is the pub/sub channel that carries new denials to every
	// replica. Default DefaultChannel.
	Channel string
	// Logger receives what happens with Redis: connections lost and
	// regained, resynchronisations, values under KeyPrefix that cannot be
	// read. It never receives the password, nor a token. Default
	// slog.Default().
	Logger *slog.Logger
	// Now returns the current time, for the denials' times and their
	// expiry in memory. Default time.Now; set it in tests.
	Now func() time.Time
	// Timeout bounds every Redis call: a write, a page of the
	// resynchronisation, a subscription. Default 2s.
	Timeout time.Duration
	// HealthInterval is how long the subscription may stay silent before
	// the Store pings Redis over it; with no answer within another
	// interval, the connection counts as lost and is made again (a lost
	// connection that the network reports is noticed at once). Default 1s.
	HealthInterval time.Duration
	// SweepInterval is how often expired denials are dropped from memory.
	// Default 1m.
	SweepInterval time.Duration
	// ExpiryMargin is how long a key outlives its denial in Redis, so that
	// a Redis whose clock runs ahead does not drop a denial that a replica
	// still needs. Replicas use the denial's own end, not the key's.
	// Default 1m.
	ExpiryMargin time.Duration
	// MaxEntries bounds what a resynchronisation loads into memory: past
	// it, the replica holds the first MaxEntries keys it read, goes on
	// applying every denial published, but is not in sync (fresh routes
	// refuse with 503; Status().OverCapacity and an error log say why) and
	// reads every key again each minute until they fit. Size it above the
	// denials alive at once: revocations per hour at the peak times the
	// hours a denial lasts, which is the lifetime of the tokens it denies
	// (RevokeToken: until their exp; RevokeSession: until the until given,
	// backchannel.Config.MaxTokenLifetime for back-channel logouts;
	// RevokeSubject: maxLifetime), plus core.MaxLeeway. Denials expire no
	// later than that, so keep MaxTokenLifetime close to the real lifetime
	// of your tokens: 10,000 logouts an hour with 24-hour denials hold
	// 240,000; with 1-hour ones, 10,000. A denial costs 110 to 200 bytes
	// of memory per replica, and a full read of 1,000,000 took 6 to 26
	// seconds on 2 busy cores (BenchmarkResync). Default 1,000,000.
	MaxEntries int
	// MaxPending bounds the revocations kept in memory for writing to Redis
	// once it is reachable again. Default 100,000.
	MaxPending int
	// FreshFailOpen makes CheckFresh answer from the revocations this
	// replica knows while it is not in sync with Redis (never synchronised
	// since it started, or its connection lost). By default it refuses
	// with ErrRevocationUnavailable (503): a route that asked for a fresh
	// answer must not rely on a replica that may have missed a logout.
	FreshFailOpen bool
}

// withDefaults checks cfg and fills in the defaults.
func (cfg Config) withDefaults() (Config, error) {
	switch {
	case cfg.URL != "" && cfg.Client != nil:
		return cfg, errors.New("redisstore: set Config.URL or Config.Client, not both")
	case cfg.URL == "" && cfg.Client == nil:
		return cfg, errors.New("redisstore: Config.URL or Config.Client is required")
	case cfg.Timeout < 0, cfg.HealthInterval < 0, cfg.SweepInterval < 0, cfg.ExpiryMargin < 0:
		return cfg, errors.New("redisstore: Config durations must not be negative")
	case cfg.MaxEntries < 0, cfg.MaxPending < 0:
		return cfg, errors.New("redisstore: Config.MaxEntries and MaxPending must not be negative")
	}
	cfg.KeyPrefix = orDefault(cfg.KeyPrefix, DefaultKeyPrefix)
	cfg.Channel = orDefault(cfg.Channel, DefaultChannel)
	cfg.Timeout = orDefault(cfg.Timeout, DefaultTimeout)
	cfg.HealthInterval = orDefault(cfg.HealthInterval, DefaultHealthInterval)
	cfg.SweepInterval = orDefault(cfg.SweepInterval, DefaultSweepInterval)
	cfg.ExpiryMargin = orDefault(cfg.ExpiryMargin, DefaultExpiryMargin)
	cfg.MaxEntries = orDefault(cfg.MaxEntries, DefaultMaxEntries)
	cfg.MaxPending = orDefault(cfg.MaxPending, DefaultMaxPending)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// client returns the Redis client to use and whether the Store owns it.
func (cfg Config) client() (*redis.Client, bool, error) {
	if cfg.Client != nil {
		if err := checkBounded(cfg.Client.Options()); err != nil {
			return nil, false, fmt.Errorf("redisstore: Config.Client: %w", err)
		}
		return cfg.Client, false, nil
	}
	opts, err := redis.ParseURL(cfg.URL)
	if err != nil {
		// url.Parse quotes the whole URL, password included: keep only
		// what it says is wrong.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, false, fmt.Errorf(
			"redisstore: Config.URL is not a Redis URL (redis://[[user]:password@]host:port[/db] or rediss://...): %w",
			err,
		)
	}
	opts.ContextTimeoutEnabled = true // every call's context carries Timeout
	if opts.DialTimeout == 0 {
		opts.DialTimeout = cfg.Timeout
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = cfg.Timeout
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = cfg.Timeout
	}
	if opts.DialerRetries == 0 {
		opts.DialerRetries = 1 // Redis refusing connections fails a call at once: the Store retries on its own
	}
	opts.DisableIdentity = true // no CLIENT SETINFO: one failed command less on old servers
	c := redis.NewClient(opts)
	if err := checkBounded(c.Options()); err != nil {
		_ = c.Close()
		return nil, false, fmt.Errorf("redisstore: Config.URL: %w", err)
	}
	return c, true, nil
}

// checkBounded refuses options under which a Redis call could block for
// ever, whatever its context says: a hung Redis must not hang the Store.
// opts are as a client holds them, with go-redis's defaults applied (0: no
// timeout, -1: no deadline at all).
func checkBounded(opts *redis.Options) error {
	switch {
	case opts.ReadTimeout < 0 || opts.WriteTimeout < 0:
		return errors.New(
			"read and write deadlines are disabled (timeout -2): a " +
				"hung Redis would hang the Store; set positive timeouts",
		)
	case !opts.ContextTimeoutEnabled && (opts.ReadTimeout == 0 || opts.WriteTimeout == 0):
		return errors.New(
			"calls are unbounded (timeout -1 without ContextTimeoutEnabled): a hung Redis would hang the Store; set " +
				"positive timeouts or ContextTimeoutEnabled",
		)
	case opts.DialTimeout <= 0:
		return errors.New("DialTimeout must be positive")
	}
	return nil
}
