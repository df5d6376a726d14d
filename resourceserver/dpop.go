package resourceserver

import (
	"log/slog"

	"github.com/identsphere/identsphere-go/core"
)

// DPoP (RFC 9449): a token bound to a client's key (its cnf.jkt) is
// accepted only as "Authorization: DPoP <token>" with a fresh proof signed
// by that key, in the DPoP header, for this very request. A stolen bound
// token is useless without the key.

// dpopOptions returns the protected routes' Authenticator options for
// DPoP. Proofs name the public URL: Config.PublicURL, or in dev mode the
// address the service listens at (listenURL). Outside dev mode without it,
// DPoP stays off, and the log says so: the request's own Host cannot stand
// in for it, since the client chooses it. (problems has already refused a
// mode chosen explicitly without it.) Accepted proofs are remembered in
// replay, shared by the fleet, or when it is nil in this process's memory.
// An error is a configuration NewDPoP refuses.
func dpopOptions(cfg Config, listenURL string, replay core.ReplayCache, logger *slog.Logger) ([]core.Option, error) {
	publicURL := cfg.PublicURL
	if publicURL == "" && cfg.DevMode {
		publicURL = listenURL
	}
	switch {
	case cfg.DPoP == core.DPoPDisabled:
		logger.Info("DPoP is off: IDENTSPHERE_DPOP=disabled; DPoP-bound tokens are refused")
		return nil, nil
	case publicURL == "":
		logger.Warn(
			"DPoP is off: IDENTSPHERE_PUBLIC_URL is not set, and DPoP proofs must name the URL clients reach this " +
				"service at; DPoP-bound tokens are refused",
		)
		return nil, nil
	}
	replayCache := "memory"
	if replay != nil {
		replayCache = "redis"
	}
	d, err := core.NewDPoP(core.DPoPConfig{Mode: cfg.DPoP, PublicURL: publicURL, Replay: replay})
	if err != nil {
		return nil, err
	}
	logger.Info("DPoP is on", "mode", dpopModeName(cfg.DPoP), "public_url", publicURL, "replay_cache", replayCache)
	return []core.Option{core.WithDPoP(d)}, nil
}
