package resourceserver

import (
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
)

// redacted stands for a secret that is set.
const redacted = "[redacted]"

// LogValue is the configuration as New logs it once at start ("effective
// configuration"): every setting, with ClientSecret and the password of
// RedisURL replaced by "[redacted]", so that an operator sees what the
// process runs with and a log reader learns no secret.
func (cfg Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("issuer", cfg.Issuer),
		slog.String("audience", cfg.Audience),
		slog.Bool("dev_mode", cfg.DevMode),
		slog.String("addr", cfg.Addr),
		slog.String("metrics_addr", cfg.MetricsAddr),
		slog.Duration("proxy_timeout", cfg.ProxyTimeout),
		slog.String("client_id", cfg.ClientID),
		slog.String("client_secret", secret(cfg.ClientSecret)),
		slog.Any("trusted_proxies", prefixStrings(cfg.TrustedProxies)),
		slog.String("public_scheme", cfg.PublicScheme),
		slog.String("introspection_url", cfg.IntrospectionURL),
		slog.String("redis_url", redactURL(cfg.RedisURL)),
		slog.Bool("token_cache", !cfg.DisableTokenCache),
		slog.String("dpop", dpopModeName(cfg.DPoP)),
		slog.String("public_url", cfg.PublicURL),
		slog.String("token_profile", cfg.Profile.String()),
		slog.Any("authorized_parties", cfg.AuthorizedParties),
		slog.Any("step_up_acr", cfg.StepUp.ACR),
		slog.Duration("step_up_max_age", cfg.StepUp.MaxAge),
	)
}

// String is the configuration with its secrets redacted, as LogValue: a
// Config printed by mistake shows no secret either.
func (cfg Config) String() string { return fmt.Sprint(cfg.LogValue()) }

func secret(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// redactURL hides the password and options of a Redis URL; one that does not parse is
// hidden whole, as it may hold one anywhere.
func redactURL(u string) string {
	if u == "" {
		return ""
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return redacted
	}
	if parsed.RawQuery != "" { // options, which may name a password
		parsed.RawQuery = "redacted"
	}
	return parsed.Redacted() // the password as xxxxx
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}
