package hydra

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Key sets Hydra signs with: access tokens (with STRATEGIES_ACCESS_TOKEN
// jwt) and ID tokens have keys of their own. Both sets' public keys are in
// the issuer's JWKS.
const (
	AccessTokenKeys = "hydra.jwt.access-token"
	IDTokenKeys     = "hydra.openid.id-token"
)

// Client is an OAuth client, as the admin API takes it.
type Client struct {
	ID     string `json:"client_id"`
	Secret string `json:"client_secret,omitempty"`
	// Audience is what the client may ask to have in its access tokens'
	// aud (the audience parameter); Hydra grants nothing else.
	Audience     []string `json:"audience"`
	GrantTypes   []string `json:"grant_types"`
	RedirectURIs []string `json:"redirect_uris,omitempty"`
	// Scope is the space-separated scopes the client may ask for.
	Scope string `json:"scope"`
	// TokenEndpointAuthMethod is client_secret_basic, or none for a public
	// client (which must use PKCE).
	TokenEndpointAuthMethod string `json:"token_endpoint_auth_method"`
}

// CreateClient registers c (POST /admin/clients).
func (s *Server) CreateClient(ctx context.Context, c Client) error {
	return s.call(ctx, http.MethodPost, "/admin/clients", c, nil, http.StatusCreated)
}

// AddKey generates a new signing key in set (POST /admin/keys/SET) with
// algorithm alg (RS256, ES256...) and returns its kid. Hydra signs with the
// newest key of a set; the others stay published until deleted.
func (s *Server) AddKey(ctx context.Context, set, alg string) (string, error) {
	var keys struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	body := map[string]string{"alg": alg, "use": "sig", "kid": ""}
	err := s.call(ctx, http.MethodPost, "/admin/keys/"+url.PathEscape(set), body, &keys, http.StatusCreated)
	if err != nil {
		return "", err
	}
	if len(keys.Keys) != 1 || keys.Keys[0].KID == "" {
		return "", fmt.Errorf("hydra: POST /admin/keys/%s answered %d keys, want one with a kid", set, len(keys.Keys))
	}
	return keys.Keys[0].KID, nil
}

// DeleteKey deletes the key kid of set (DELETE /admin/keys/SET/KID): Hydra
// no longer signs with it nor publishes it.
func (s *Server) DeleteKey(ctx context.Context, set, kid string) error {
	return s.call(
		ctx,
		http.MethodDelete,
		"/admin/keys/"+url.PathEscape(set)+"/"+url.PathEscape(kid),
		nil,
		nil,
		http.StatusNoContent,
	)
}

// doJSON sends body (when not nil) as JSON and decodes a JSON answer into
// out (when not nil), requiring status want.
func doJSON(ctx context.Context, c *http.Client, method, u string, body, out any, want int) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("hydra: %s %s: %d %s, want %d", method, req.URL.Path, resp.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("hydra: %s %s: %w", method, req.URL.Path, err)
		}
	}
	return nil
}
