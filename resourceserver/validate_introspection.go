package resourceserver

import (
	"errors"
	"fmt"
	"strings"
)

// introspectionClientProblem reports introspection configured without the
// client credentials its endpoint requires (RFC 7662 section 2.1): a start
// that went ahead would find out only at the first request to a fresh
// route, answered 503. In dev mode the development issuer's client is
// filled in.
func introspectionClientProblem(cfg Config) error {
	if cfg.DevMode {
		return nil
	}
	if cfg.ClientSecret != "" && cfg.ClientID == "" {
		return errors.New(
			"IDENTSPHERE_CLIENT_SECRET is set but IDENTSPHERE_CLIENT_ID is empty: set IDENTSPHERE_CLIENT_ID " +
				"to the client at the issuer that the secret belongs to",
		)
	}
	if cfg.IntrospectionURL == "" {
		return nil
	}
	var missing []string
	if cfg.ClientID == "" {
		missing = append(missing, "IDENTSPHERE_CLIENT_ID")
	}
	if cfg.ClientSecret == "" {
		missing = append(missing, "IDENTSPHERE_CLIENT_SECRET")
	}
	if len(missing) == 0 {
		return nil
	}
	names, verb := strings.Join(missing, " and "), "are"
	if len(missing) == 1 {
		verb = "is"
	}
	return fmt.Errorf(
		"IDENTSPHERE_INTROSPECTION_URL is set but %s %s empty: set IDENTSPHERE_CLIENT_ID and "+
			"IDENTSPHERE_CLIENT_SECRET to this service's client at the issuer, which its introspection endpoint "+
			"requires; without them every fresh route answers 503",
		names, verb,
	)
}
