package core

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// fetchJWKS GETs the key set at url with the issuer client (bounded time
// and size, no scheme-changing redirects) and returns its body. Errors name
// the URL: a misconfigured issuer must be recognisable from the log alone.
func fetchJWKS(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("identsphere: the JWKS URL %s: %w", url, err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("identsphere: fetching the JWKS at %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &statusError{what: "the JWKS", url: url, code: resp.StatusCode}
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("identsphere: reading the JWKS at %s: %w", url, err)
	}
	return body, nil
}
