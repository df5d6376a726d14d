package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/identsphere/identsphere-go/internal/strictjson"
)

// discoveryDocument holds the fields of OpenID Connect discovery this
// library uses.
type discoveryDocument struct {
	Issuer                string   `json:"issuer"`
	JWKSURI               string   `json:"jwks_uri"`
	SigningAlgorithms     []string `json:"id_token_signing_alg_values_supported"`
	IntrospectionEndpoint string   `json:"introspection_endpoint"`
}

// readDiscoveryDocument reads the members this library uses, strictly
// (internal/strictjson): names byte for byte, so that "ISSUER" or a second
// "jwks_uri" cannot stand in for the one the issuer means; a member of
// another type is an error, null counts as absent, as in encoding/json.
func readDiscoveryDocument(body []byte) (discoveryDocument, error) {
	var doc discoveryDocument
	err := strictjson.Members(body, func(key, value []byte) error {
		var dst *string
		switch string(key) {
		case "issuer":
			dst = &doc.Issuer
		case "jwks_uri":
			dst = &doc.JWKSURI
		case "introspection_endpoint":
			dst = &doc.IntrospectionEndpoint
		case "id_token_signing_alg_values_supported":
			if algs, ok := strictjson.Strings(value); ok || string(value) == "null" {
				doc.SigningAlgorithms = algs
				return nil
			}
			return fmt.Errorf("%q is not an array of strings", key)
		default:
			return nil
		}
		if s, ok := strictjson.String(value); ok || string(value) == "null" {
			*dst = s
			return nil
		}
		return fmt.Errorf("%q is not a string", key)
	})
	return doc, err
}

// wellKnown joins a well-known path to an issuer, removing a trailing slash
// first as OpenID Connect Discovery 1.0 section 4 requires.
func wellKnown(issuer, name string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/" + name
}

// discover fetches and checks the issuer's discovery document. An issuer
// without one answers a *statusError with code 404, which the caller takes
// as the cue to try Issuer + "/.well-known/jwks.json".
func discover(ctx context.Context, client *http.Client, c Config) (discoveryDocument, error) {
	var doc discoveryDocument
	u := wellKnown(c.Issuer, "openid-configuration")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return doc, fmt.Errorf("identsphere: discovery at %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return doc, fmt.Errorf("identsphere: discovery at %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return doc, &statusError{what: "the discovery document", url: u, code: resp.StatusCode}
	}
	body, err := io.ReadAll(resp.Body) // capped by the issuer client (Config.MaxResponseBytes)
	if err != nil {
		return doc, fmt.Errorf("identsphere: discovery at %s: %w", u, err)
	}
	if doc, err = readDiscoveryDocument(body); err != nil {
		return doc, fmt.Errorf("identsphere: discovery at %s: malformed document: %w", u, err)
	}
	if doc.Issuer != c.Issuer {
		if strings.TrimSuffix(doc.Issuer, "/") == strings.TrimSuffix(c.Issuer, "/") {
			// OpenID Connect Discovery 1.0 section 4.3 wants them identical,
			// and tokens carry the discovered form: the mismatch stays fatal,
			// but the operator is told exactly what to change.
			return doc, fmt.Errorf(
				"identsphere: discovery at %s: the document's issuer %q differs from the configured issuer %q only by "+
					"a trailing slash; they must be identical (tokens carry "+
					"the document's form): set Config.Issuer to %q",
				u,
				doc.Issuer,
				c.Issuer,
				doc.Issuer,
			)
		}
		return doc, fmt.Errorf(
			"identsphere: discovery at %s: the document's issuer %q differs from the configured issuer %q",
			u,
			doc.Issuer,
			c.Issuer,
		)
	}
	if err := checkURL(doc.JWKSURI, c.AllowInsecureHTTP); err != nil {
		return doc, fmt.Errorf("identsphere: discovery: jwks_uri: %w", err)
	}
	if ju, _ := url.Parse(doc.JWKSURI); strings.HasPrefix(c.Issuer, "https:") && ju.Scheme != "https" {
		return doc, errors.New("identsphere: discovery: an https issuer must serve its keys over https")
	}
	return doc, nil
}

// withConfigHint adds the likely fix to a load failure that points at a
// misconfiguration: a Config.Issuer set to a discovery or JWKS URL (so that
// both well-known URLs derived from it answer 404), or a JWKSURL that
// answers 404. noDiscovery is the discovery URL when it answered 404.
func withConfigHint(c Config, noDiscovery string, err error) error {
	var se *statusError
	notFound := errors.As(err, &se) && se.code == http.StatusNotFound
	wellKnownIssuer := strings.Contains(c.Issuer, "/.well-known/")
	switch {
	case c.JWKSURL != "" && notFound:
		return fmt.Errorf("%w; check Config.JWKSURL", err)
	case c.JWKSURL != "":
		return err
	case wellKnownIssuer:
		likely, _, _ := strings.Cut(c.Issuer, "/.well-known/")
		return fmt.Errorf(
			"%w%s; Config.Issuer %q is a discovery or JWKS URL, not an issuer identifier: set Issuer to the iss its "+
				"tokens carry (likely %q) and, for a plain key set, set JWKSURL",
			err,
			alsoNotFound(noDiscovery),
			c.Issuer,
			likely,
		)
	case notFound && noDiscovery != "":
		return fmt.Errorf(
			"%w%s; Config.Issuer must be the issuer identifier (the iss its tokens carry, such as "+
				"https://id.example.com), not its discovery or JWKS URL; for a plain key set, set Config.JWKSURL",
			err,
			alsoNotFound(noDiscovery),
		)
	}
	return err
}

func alsoNotFound(discoveryURL string) string {
	if discoveryURL == "" {
		return ""
	}
	return " (and the discovery document at " + discoveryURL + " answered 404 Not Found)"
}
