package main

import (
	"fmt"
	"log/slog"

	"github.com/identsphere/identsphere-go/core"
)

// DPoP (RFC 9449): a token bound to a client's key (its cnf.jkt) is
// accepted only as "Authorization: DPoP <token>" with a fresh proof signed
// by that key, in the DPoP header, for this very request. A stolen bound
// token is useless without the key.

// parseDPoPMode reads IDENTSPHERE_DPOP.
func parseDPoPMode(s string) (core.DPoPMode, error) {
	switch s {
	case "", "allowed":
		return core.DPoPAllowed, nil
	case "disabled":
		return core.DPoPDisabled, nil
	case "required":
		return core.DPoPRequired, nil
	}
	return 0, fmt.Errorf("IDENTSPHERE_DPOP must be disabled, allowed or required, not %q", s)
}

// dpopModeName is the IDENTSPHERE_DPOP value of mode.
func dpopModeName(mode core.DPoPMode) string {
	return map[core.DPoPMode]string{core.DPoPDisabled: "disabled", core.DPoPAllowed: "allowed", core.DPoPRequired: "required"}[mode]
}

// checkPublicURL checks IDENTSPHERE_PUBLIC_URL: the scheme, host and port
// (and base path) clients reach this service at, as a proof's htu names it.
func checkPublicURL(u string) error {
	if err := (core.DPoPConfig{Mode: core.DPoPAllowed, PublicURL: u}).Validate(); err != nil {
		return fmt.Errorf("IDENTSPHERE_PUBLIC_URL must be the URL clients reach this service at, such as https://api.example.com, not %q", u)
	}
	return nil
}

// dpopOptions returns the /api routes' Authenticator options for DPoP.
// Proofs name the public URL: IDENTSPHERE_PUBLIC_URL, or in dev mode the
// address the service listens at (listenURL). Outside dev mode without
// it, DPoP stays off, and the log says so: the request's own Host cannot
// stand in for it, since the client chooses it. (loadConfig has already
// refused an IDENTSPHERE_DPOP set explicitly without it.) Accepted proofs
// are remembered in replay, shared by the fleet, or when it is nil in this
// process's memory.
func dpopOptions(cfg config, listenURL string, replay core.ReplayCache, logger *slog.Logger) []core.Option {
	publicURL := cfg.PublicURL
	if publicURL == "" && cfg.DevMode {
		publicURL = listenURL
	}
	switch {
	case cfg.DPoP == core.DPoPDisabled:
		logger.Info("DPoP is off: IDENTSPHERE_DPOP=disabled; DPoP-bound tokens are refused")
		return nil
	case publicURL == "":
		logger.Warn("DPoP is off: IDENTSPHERE_PUBLIC_URL is not set, and DPoP proofs must name the URL clients reach this service at; DPoP-bound tokens are refused")
		return nil
	}
	replayCache := "memory"
	if replay != nil {
		replayCache = "redis"
	}
	logger.Info("DPoP is on", "mode", dpopModeName(cfg.DPoP), "public_url", publicURL, "replay_cache", replayCache)
	return []core.Option{core.WithDPoP(core.DPoPConfig{Mode: cfg.DPoP, PublicURL: publicURL, Replay: replay})}
}
