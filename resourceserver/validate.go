package resourceserver

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/identsphere/identsphere-go/core"
)

// errNoIssuer is the problem of a production Config without an issuer.
var errNoIssuer = errors.New(
	"IDENTSPHERE_URL (Config.Issuer) is empty: set it to your issuer's URL, or leave IDENTSPHERE_URL unset " +
		"(Config.DevMode) to run against a development issuer",
)

// problems lists every mistake in cfg, each naming its variable and the
// fix; New and FromEnv report them all at once.
func (cfg Config) problems() []error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if !cfg.DevMode {
		if cfg.Issuer == "" {
			add(errNoIssuer)
		}
		if cfg.Audience == "" {
			add(errors.New("IDENTSPHERE_AUDIENCE is required when IDENTSPHERE_URL is set: " +
				"the aud your issuer puts in tokens for this API"))
		}
	}
	if u := cfg.IntrospectionURL; u != "" {
		parsed, err := url.Parse(u)
		if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
			add(fmt.Errorf("IDENTSPHERE_INTROSPECTION_URL must be an absolute http(s) URL, not %q", u))
		}
	}
	add(introspectionClientProblem(cfg))
	if u := cfg.RedisURL; u != "" && !strings.HasPrefix(u, "redis://") && !strings.HasPrefix(u, "rediss://") {
		// Not echoed: the URL may hold a password.
		add(errors.New("IDENTSPHERE_REDIS_URL must start with redis:// or rediss://"))
	}
	if len(cfg.AuthorizedParties) > 0 && cfg.Profile != core.IDTokens {
		add(
			fmt.Errorf(
				"IDENTSPHERE_AUTHORIZED_PARTIES lists the clients whose ID tokens are trusted: it needs %s=id",
				ProfileVariable,
			),
		)
	}
	if cfg.PublicURL != "" {
		if err := (core.DPoPConfig{Mode: core.DPoPAllowed, PublicURL: cfg.PublicURL}).Validate(); err != nil {
			add(
				fmt.Errorf(
					"IDENTSPHERE_PUBLIC_URL must be the URL clients reach this service at, such as "+
						"https://api.example.com, not %q",
					cfg.PublicURL,
				),
			)
		}
	}
	if !cfg.DevMode && !cfg.dpopImplicit && cfg.DPoP != core.DPoPDisabled && cfg.PublicURL == "" {
		add(
			fmt.Errorf(
				"IDENTSPHERE_DPOP=%s needs IDENTSPHERE_PUBLIC_URL, the URL "+
					"clients reach this service at, which DPoP proofs name",
				dpopModeName(cfg.DPoP),
			),
		)
	}
	if dpopModeName(cfg.DPoP) == "" {
		add(fmt.Errorf("IDENTSPHERE_DPOP (Config.DPoP) must be disabled, allowed or required, not mode %d", cfg.DPoP))
	}
	add(stepUpProblem(cfg.StepUp))
	if cfg.PublicScheme != "" && cfg.PublicScheme != "http" && cfg.PublicScheme != "https" {
		add(fmt.Errorf("IDENTSPHERE_PUBLIC_SCHEME must be http or https, not %q", cfg.PublicScheme))
	}
	if cfg.ProxyTimeout < 0 {
		add(fmt.Errorf("IDENTSPHERE_PROXY_TIMEOUT must be a positive duration such as 10s, not %v", cfg.ProxyTimeout))
	}
	if cfg.Addr != "" {
		if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
			add(fmt.Errorf("ADDR %q must be host:port or :port, such as :8080: %w", cfg.Addr, err))
		}
	}
	if cfg.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(cfg.MetricsAddr); err != nil {
			add(fmt.Errorf("METRICS_ADDR %q must be host:port or :port, such as :9090: %w", cfg.MetricsAddr, err))
		}
	}
	return errs
}

// dpopModeName is the IDENTSPHERE_DPOP value of mode; empty for a mode
// that is none of the three.
func dpopModeName(mode core.DPoPMode) string {
	switch mode {
	case core.DPoPDisabled:
		return "disabled"
	case core.DPoPAllowed:
		return "allowed"
	case core.DPoPRequired:
		return "required"
	}
	return ""
}

// stepUpProblem reports a Config.StepUp that core.RequireStepUp would
// refuse (it panics, when a route is built): here it is an error at start
// naming the variables.
func stepUpProblem(s core.StepUp) (err error) {
	if len(s.ACR) == 0 && s.MaxAge == 0 {
		return nil // the defaults apply
	}
	if len(s.ACR) == 0 {
		s.ACR = []string{DefaultStepUpACR}
	}
	defer func() {
		if recover() != nil {
			err = fmt.Errorf(
				"IDENTSPHERE_STEPUP_ACR and IDENTSPHERE_STEPUP_MAX_AGE (Config.StepUp) must be acr values without "+
					"spaces, quotes or backslashes and a positive age, not %q and %v",
				strings.Join(s.ACR, ","),
				s.MaxAge,
			)
		}
	}()
	core.RequireStepUp(s)
	return nil
}
