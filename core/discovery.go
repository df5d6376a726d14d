package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// errDiscoveryNotFound means the issuer has no discovery document.
var errDiscoveryNotFound = errors.New("identsphere: discovery document not found")

// discoveryDocument holds the fields of OpenID Connect discovery this
// library uses.
type discoveryDocument struct {
	Issuer                string   `json:"issuer"`
	JWKSURI               string   `json:"jwks_uri"`
	SigningAlgorithms     []string `json:"id_token_signing_alg_values_supported"`
	IntrospectionEndpoint string   `json:"introspection_endpoint"`
}

// wellKnown joins a well-known path to an issuer, removing a trailing slash
// first as OpenID Connect Discovery 1.0 section 4 requires.
func wellKnown(issuer, name string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/" + name
}

// discover fetches and checks the issuer's discovery document.
func discover(ctx context.Context, client *http.Client, c Config) (discoveryDocument, error) {
	var doc discoveryDocument
	u := wellKnown(c.Issuer, "openid-configuration")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return doc, fmt.Errorf("identsphere: discovery: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return doc, fmt.Errorf("identsphere: discovery: %w", err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return doc, errDiscoveryNotFound
	default:
		return doc, fmt.Errorf("identsphere: discovery: unexpected status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return doc, fmt.Errorf("identsphere: discovery: malformed document: %w", err)
	}
	if doc.Issuer != c.Issuer {
		return doc, fmt.Errorf("identsphere: discovery: the document's issuer %q differs from the configured issuer %q", doc.Issuer, c.Issuer)
	}
	if err := checkURL(doc.JWKSURI, c.AllowInsecureHTTP); err != nil {
		return doc, fmt.Errorf("identsphere: discovery: jwks_uri: %w", err)
	}
	if ju, _ := url.Parse(doc.JWKSURI); strings.HasPrefix(c.Issuer, "https:") && ju.Scheme != "https" {
		return doc, errors.New("identsphere: discovery: an https issuer must serve its keys over https")
	}
	return doc, nil
}
