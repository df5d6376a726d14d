package resourceserver

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/identsphere/identsphere-go/core"
)

// ProfileVariable names the token-kind setting: in errors, and in the
// refusal log of a token refused for its kind (core.Config.ProfileSetting).
const ProfileVariable = "IDENTSPHERE_TOKEN_PROFILE"

// FromEnv reads a Config through lookupEnv (os.LookupEnv, or a map's
// lookup in tests): IDENTSPHERE_URL, IDENTSPHERE_AUDIENCE, ADDR,
// METRICS_ADDR, IDENTSPHERE_PROXY_TIMEOUT, IDENTSPHERE_CLIENT_ID,
// IDENTSPHERE_CLIENT_SECRET, IDENTSPHERE_TRUSTED_PROXIES,
// IDENTSPHERE_PUBLIC_SCHEME, IDENTSPHERE_INTROSPECTION_URL,
// IDENTSPHERE_REDIS_URL, IDENTSPHERE_TOKEN_CACHE, IDENTSPHERE_DPOP,
// IDENTSPHERE_PUBLIC_URL, IDENTSPHERE_TOKEN_PROFILE,
// IDENTSPHERE_AUTHORIZED_PARTIES, IDENTSPHERE_STEPUP_ACR and
// IDENTSPHERE_STEPUP_MAX_AGE (see each Config field). With
// IDENTSPHERE_URL unset it returns a dev-mode Config (Config.DevMode).
//
// Every mistake is reported at once, joined (errors.Join), each naming its
// variable and what to set instead, so that one start shows them all. The
// Config returned with an error is what could be read, for a log; do not
// serve with it.
func FromEnv(lookupEnv func(string) (string, bool)) (Config, error) {
	getenv := func(name string) string {
		v, _ := lookupEnv(name)
		return v
	}
	cfg := Config{
		Issuer:           getenv("IDENTSPHERE_URL"),
		Audience:         getenv("IDENTSPHERE_AUDIENCE"),
		Addr:             getenv("ADDR"),
		MetricsAddr:      getenv("METRICS_ADDR"),
		ClientID:         getenv("IDENTSPHERE_CLIENT_ID"),
		ClientSecret:     getenv("IDENTSPHERE_CLIENT_SECRET"),
		IntrospectionURL: getenv("IDENTSPHERE_INTROSPECTION_URL"),
		RedisURL:         getenv("IDENTSPHERE_REDIS_URL"),
		PublicURL:        getenv("IDENTSPHERE_PUBLIC_URL"),
	}
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	issuer, set := lookupEnv("IDENTSPHERE_URL")
	if !set {
		cfg.DevMode = true
	} else if issuer == "" {
		add(errors.New("IDENTSPHERE_URL is set but empty; unset it to run in dev mode"))
	}
	add(cfg.readTokenCache(getenv("IDENTSPHERE_TOKEN_CACHE")))
	add(cfg.readPublicScheme(getenv("IDENTSPHERE_PUBLIC_SCHEME")))
	add(cfg.readTokenKind(getenv(ProfileVariable), getenv("IDENTSPHERE_AUTHORIZED_PARTIES")))
	add(cfg.readDPoP(lookupEnv("IDENTSPHERE_DPOP")))
	add(cfg.readProxyTimeout(getenv("IDENTSPHERE_PROXY_TIMEOUT")))
	add(cfg.readStepUp(getenv("IDENTSPHERE_STEPUP_ACR"), getenv("IDENTSPHERE_STEPUP_MAX_AGE")))
	trusted, err := parsePrefixes(getenv("IDENTSPHERE_TRUSTED_PROXIES"))
	if err != nil {
		add(fmt.Errorf("IDENTSPHERE_TRUSTED_PROXIES: %w", err))
	}
	cfg.TrustedProxies = trusted
	for _, err := range cfg.problems() {
		if !errors.Is(err, errNoIssuer) { // reported as set but empty
			errs = append(errs, err)
		}
	}
	return cfg, errors.Join(errs...)
}

func (cfg *Config) readTokenCache(s string) error {
	switch s {
	case "", "on":
	case "off":
		cfg.DisableTokenCache = true
	default:
		return fmt.Errorf("IDENTSPHERE_TOKEN_CACHE must be on or off, not %q", s)
	}
	return nil
}

func (cfg *Config) readPublicScheme(s string) error {
	switch s {
	case "", "http", "https":
		cfg.PublicScheme = s
		return nil
	}
	return fmt.Errorf("IDENTSPHERE_PUBLIC_SCHEME must be http or https, not %q", s)
}

// readTokenKind reads IDENTSPHERE_TOKEN_PROFILE and
// IDENTSPHERE_AUTHORIZED_PARTIES (comma-separated, blanks skipped).
func (cfg *Config) readTokenKind(profile, parties string) error {
	for p := range strings.SplitSeq(parties, ",") {
		if p = strings.TrimSpace(p); p != "" {
			cfg.AuthorizedParties = append(cfg.AuthorizedParties, p)
		}
	}
	if profile != "" {
		if err := cfg.Profile.UnmarshalText([]byte(profile)); err != nil {
			return fmt.Errorf("%s must be access, rfc9068 or id, not %q", ProfileVariable, profile)
		}
	}
	return nil
}

// readDPoP reads IDENTSPHERE_DPOP; unset, DPoP is allowed where it can be
// (see Config.dpopImplicit).
func (cfg *Config) readDPoP(s string, set bool) error {
	cfg.dpopImplicit = !set
	switch s {
	case "", "allowed":
		cfg.DPoP = core.DPoPAllowed
	case "disabled":
		cfg.DPoP = core.DPoPDisabled
	case "required":
		cfg.DPoP = core.DPoPRequired
	default:
		return fmt.Errorf("IDENTSPHERE_DPOP must be disabled, allowed or required, not %q", s)
	}
	return nil
}

func (cfg *Config) readProxyTimeout(s string) error {
	if s == "" {
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("IDENTSPHERE_PROXY_TIMEOUT must be a positive duration such as 10s, not %q", s)
	}
	cfg.ProxyTimeout = d
	return nil
}

// readStepUp reads IDENTSPHERE_STEPUP_ACR (comma- or space-separated) and
// IDENTSPHERE_STEPUP_MAX_AGE (seconds, or a duration); unset, each keeps
// its default (see Config.StepUp).
func (cfg *Config) readStepUp(acr, maxAge string) error {
	cfg.StepUp.ACR = strings.FieldsFunc(acr, func(r rune) bool { return r == ',' || r == ' ' })
	if maxAge == "" {
		return nil
	}
	d, err := time.ParseDuration(maxAge)
	if secs, convErr := strconv.Atoi(maxAge); convErr == nil {
		d, err = time.Duration(secs)*time.Second, nil
	}
	if err != nil || d <= 0 {
		return fmt.Errorf(
			"IDENTSPHERE_STEPUP_MAX_AGE must be a positive number of seconds or a duration such as 5m, not %q",
			maxAge,
		)
	}
	cfg.StepUp.MaxAge = d
	return nil
}

// parsePrefixes reads a comma-separated list of CIDR prefixes ("10.0.0.0/8")
// or single addresses ("192.0.2.10").
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for s := range strings.SplitSeq(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("%q is neither a CIDR prefix nor an address", s)
			}
			s = netip.PrefixFrom(a, a.BitLen()).String()
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR prefix nor an address", s)
		}
		out = append(out, p)
	}
	return out, nil
}
