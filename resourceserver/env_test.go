package resourceserver_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/resourceserver"
)

// lookup is a lookupEnv over a fixed environment.
func lookup(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

// A start with several mistakes reports every one of them, each naming
// its variable, rather than the first alone; and a password in a bad Redis
// URL is not echoed.
func TestFromEnvReportsEveryMistakeAtOnce(t *testing.T) {
	_, err := resourceserver.FromEnv(lookup(map[string]string{
		"IDENTSPHERE_URL":                "https://id.example.com",
		"IDENTSPHERE_TOKEN_CACHE":        "sometimes",
		"IDENTSPHERE_PUBLIC_SCHEME":      "ftp",
		"IDENTSPHERE_DPOP":               "required",
		"IDENTSPHERE_TOKEN_PROFILE":      "IDTokens",
		"IDENTSPHERE_AUTHORIZED_PARTIES": "orders-web",
		"IDENTSPHERE_PROXY_TIMEOUT":      "soon",
		"IDENTSPHERE_TRUSTED_PROXIES":    "the balancer",
		"IDENTSPHERE_INTROSPECTION_URL":  "introspect",
		"IDENTSPHERE_REDIS_URL":          "http://:s3cret@127.0.0.1:6379",
		"METRICS_ADDR":                   "9090",
	}))
	if err == nil {
		t.Fatal("FromEnv accepted a broken environment")
	}
	for _, want := range []string{
		"IDENTSPHERE_AUDIENCE is required",
		"IDENTSPHERE_TOKEN_CACHE must be on or off",
		"IDENTSPHERE_PUBLIC_SCHEME must be http or https",
		"IDENTSPHERE_DPOP=required needs IDENTSPHERE_PUBLIC_URL",
		`IDENTSPHERE_TOKEN_PROFILE must be access, rfc9068 or id, not "IDTokens"`,
		"IDENTSPHERE_AUTHORIZED_PARTIES lists the clients whose ID tokens are trusted: it needs " +
			"IDENTSPHERE_TOKEN_PROFILE=id",
		"IDENTSPHERE_PROXY_TIMEOUT must be a positive duration",
		"IDENTSPHERE_TRUSTED_PROXIES",
		"IDENTSPHERE_INTROSPECTION_URL must be an absolute http(s) URL",
		"IDENTSPHERE_INTROSPECTION_URL is set but IDENTSPHERE_CLIENT_ID and IDENTSPHERE_CLIENT_SECRET are empty",
		"IDENTSPHERE_REDIS_URL must start with redis://",
		"METRICS_ADDR",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
	if got := strings.Count(err.Error(), "\n") + 1; got != 12 {
		t.Errorf("%d problems reported, want 12:\n%v", got, err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the error shows the Redis password: %v", err)
	}
}

// An issuer variable that came out empty is a mistake, never dev mode.
func TestFromEnvEmptyIssuerIsNotDevMode(t *testing.T) {
	cfg, err := resourceserver.FromEnv(
		lookup(map[string]string{"IDENTSPHERE_URL": "", "IDENTSPHERE_AUDIENCE": "orders"}),
	)
	if err == nil || !strings.Contains(err.Error(), "IDENTSPHERE_URL is set but empty; unset it to run in dev mode") {
		t.Fatalf("err %v", err)
	}
	if cfg.DevMode {
		t.Error("dev mode on with IDENTSPHERE_URL set")
	}
	if strings.Contains(err.Error(), "IDENTSPHERE_URL (Config.Issuer) is empty") {
		t.Errorf("the empty issuer reported twice:\n%v", err)
	}
}

// Every variable lands in its field; unset, the defaults hold (DPoP
// allowed, the token cache on).
func TestFromEnvReadsEveryVariable(t *testing.T) {
	cfg, err := resourceserver.FromEnv(lookup(map[string]string{
		"IDENTSPHERE_URL":                "https://id.example.com",
		"IDENTSPHERE_AUDIENCE":           "orders",
		"ADDR":                           ":9000",
		"METRICS_ADDR":                   "127.0.0.1:9090",
		"IDENTSPHERE_PROXY_TIMEOUT":      "3s",
		"IDENTSPHERE_CLIENT_ID":          "orders-api",
		"IDENTSPHERE_CLIENT_SECRET":      "s3cret",
		"IDENTSPHERE_TRUSTED_PROXIES":    "10.0.0.0/8, 192.0.2.10",
		"IDENTSPHERE_PUBLIC_SCHEME":      "https",
		"IDENTSPHERE_INTROSPECTION_URL":  "https://id.example.com/introspect",
		"IDENTSPHERE_REDIS_URL":          "redis://127.0.0.1:6379/0",
		"IDENTSPHERE_TOKEN_CACHE":        "off",
		"IDENTSPHERE_DPOP":               "required",
		"IDENTSPHERE_PUBLIC_URL":         "https://api.example.com",
		"IDENTSPHERE_TOKEN_PROFILE":      "id",
		"IDENTSPHERE_AUTHORIZED_PARTIES": "web, ,cli",
		"IDENTSPHERE_STEPUP_ACR":         "phr, phrh",
		"IDENTSPHERE_STEPUP_MAX_AGE":     "120",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DevMode || cfg.Issuer != "https://id.example.com" || cfg.Audience != "orders" || cfg.Addr != ":9000" ||
		cfg.MetricsAddr != "127.0.0.1:9090" || cfg.ProxyTimeout != 3*time.Second || cfg.ClientID != "orders-api" ||
		cfg.ClientSecret != "s3cret" || len(cfg.TrustedProxies) != 2 ||
		cfg.TrustedProxies[1].String() != "192.0.2.10/32" || cfg.PublicScheme != "https" ||
		cfg.IntrospectionURL != "https://id.example.com/introspect" ||
		cfg.RedisURL != "redis://127.0.0.1:6379/0" || !cfg.DisableTokenCache || cfg.DPoP != core.DPoPRequired ||
		cfg.PublicURL != "https://api.example.com" || cfg.Profile != core.IDTokens ||
		strings.Join(cfg.AuthorizedParties, "|") != "web|cli" ||
		strings.Join(cfg.StepUp.ACR, "|") != "phr|phrh" || cfg.StepUp.MaxAge != 2*time.Minute {
		t.Errorf("config %+v", cfg)
	}

	dev, err := resourceserver.FromEnv(lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !dev.DevMode || dev.DPoP != core.DPoPAllowed || dev.DisableTokenCache {
		t.Errorf("defaults: %+v", dev)
	}
}

// The effective configuration is logged once at start, every setting
// shown, the client secret and the Redis password redacted; and a Config
// printed by mistake shows neither.
func TestEffectiveConfigurationIsLoggedOnceWithoutSecrets(t *testing.T) {
	iss := newIssuer(t)
	var logs logBuffer
	cfg := production(iss, &logs)
	cfg.ClientID, cfg.ClientSecret = "orders-api", "s3cret-client"
	cfg.RedisURL = "redis://:s3cret-redis@127.0.0.1:1/0?dial_timeout=1s"
	cfg.DPoP, cfg.PublicURL = core.DPoPAllowed, "https://api.example.com"
	srv, err := resourceserver.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	recs := logs.records(t, "effective configuration")
	if len(recs) != 1 {
		t.Fatalf("%d effective-configuration records, want 1:\n%s", len(recs), logs.String())
	}
	got, _ := recs[0]["configuration"].(map[string]any)
	if got["issuer"] != iss.URL() || got["client_id"] != "orders-api" || got["client_secret"] != "[redacted]" ||
		got["dpop"] != "allowed" || got["public_url"] != "https://api.example.com" || got["token_cache"] != true ||
		!strings.Contains(got["redis_url"].(string), "127.0.0.1:1") {
		t.Errorf("configuration record %v", got)
	}
	for _, s := range []string{"s3cret", "dial_timeout"} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log shows %q:\n%s", s, logs.String())
		}
		if strings.Contains(cfg.String(), s) {
			t.Errorf("Config.String shows %q: %s", s, cfg.String())
		}
	}
	var text bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("x", "cfg", cfg)
	if strings.Contains(text.String(), "s3cret") {
		t.Errorf("a Config logged by value shows a secret: %s", text.String())
	}
}

// A Config filled in code gets the same checks as the environment, all at
// once; and dev mode without a development issuer is refused with the fix.
func TestNewReportsEveryMistakeAtOnce(t *testing.T) {
	_, err := resourceserver.New(t.Context(), resourceserver.Config{
		DPoP: core.DPoPRequired, RedisURL: "memcache://x", MetricsAddr: "nowhere",
	})
	if err == nil {
		t.Fatal("New accepted an empty Config")
	}
	for _, want := range []string{
		"IDENTSPHERE_URL (Config.Issuer) is empty",
		"IDENTSPHERE_AUDIENCE is required",
		"IDENTSPHERE_DPOP=required needs IDENTSPHERE_PUBLIC_URL",
		"IDENTSPHERE_REDIS_URL must start with redis://",
		"METRICS_ADDR",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
	_, err = resourceserver.New(t.Context(), resourceserver.Config{DevMode: true, Addr: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "devissuer.Start") {
		t.Errorf("dev mode without an issuer: %v", err)
	}
}

// The step-up settings: a duration or seconds, defaults when unset, and a
// value no route could use refused at start with the variable named.
func TestFromEnvStepUp(t *testing.T) {
	for env, want := range map[string]time.Duration{"5m": 5 * time.Minute, "90": 90 * time.Second} {
		cfg, err := resourceserver.FromEnv(lookup(map[string]string{"IDENTSPHERE_STEPUP_MAX_AGE": env}))
		if err != nil || cfg.StepUp.MaxAge != want {
			t.Errorf("IDENTSPHERE_STEPUP_MAX_AGE=%s: %v, %v", env, cfg.StepUp.MaxAge, err)
		}
	}
	for name, env := range map[string]map[string]string{
		"IDENTSPHERE_STEPUP_MAX_AGE": {"IDENTSPHERE_STEPUP_MAX_AGE": "-5"},
		"IDENTSPHERE_STEPUP_ACR":     {"IDENTSPHERE_STEPUP_ACR": `mfa,"phr"`},
	} {
		if _, err := resourceserver.FromEnv(lookup(env)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: error %v, want one naming %s", env, err, name)
		}
	}
	srv, err := resourceserver.New(
		t.Context(),
		resourceserver.Config{
			Issuer:   "https://id.example.com",
			Audience: "orders",
			Addr:     "127.0.0.1:0",
			Logger:   slog.New(slog.DiscardHandler),
		},
	)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if s := srv.StepUp(); strings.Join(s.ACR, " ") != resourceserver.DefaultStepUpACR ||
		s.MaxAge != resourceserver.DefaultStepUpMaxAge {
		t.Errorf("default step-up %+v", s)
	}
}
