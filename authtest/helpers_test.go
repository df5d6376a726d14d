package authtest_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// newIssuer starts an issuer that signs with testkeys.RSA unless opts bring
// their own keys, and closes it when the test ends.
func newIssuer(t *testing.T, opts ...authtest.Option) *authtest.Issuer {
	t.Helper()
	if len(opts) == 0 {
		opts = []authtest.Option{authtest.WithKey(testkeys.KIDRSA, testkeys.RSA())}
	}
	iss := authtest.NewIssuer(opts...)
	t.Cleanup(iss.Close)
	return iss
}

// newClient returns a client that never reuses connections, so a dropped
// connection is reported instead of retried, and that owns its transport.
func newClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// get fetches url and returns the response with its body read.
func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	return do(t, newClient(t), mustRequest(t, http.MethodGet, url, nil))
}

func mustRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", req.URL, err)
	}
	return resp, body
}

// liveJWKS fetches the issuer's JWKS over HTTP.
func liveJWKS(t *testing.T, iss *authtest.Issuer) []byte {
	t.Helper()
	resp, body := get(t, iss.JWKSURL())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("JWKS status %d, body %s", resp.StatusCode, body)
	}
	return body
}

// verifyWithLiveJWKS verifies token against keys fetched from the issuer's
// JWKS endpoint, parsed by an independent implementation (keyfunc/jwkset),
// and checks iss and aud.
func verifyWithLiveJWKS(t *testing.T, iss *authtest.Issuer, token string) (*jwt.Token, error) {
	t.Helper()
	kf, err := keyfunc.NewJWKSetJSON(liveJWKS(t, iss))
	if err != nil {
		t.Fatalf("parsing the live JWKS: %v", err)
	}
	return jwt.Parse(token, kf.Keyfunc,
		jwt.WithValidMethods([]string{"RS256", "ES256", "ES384", "ES512", "EdDSA"}),
		jwt.WithIssuer(iss.URL()),
		jwt.WithAudience(iss.Audience()),
		jwt.WithExpirationRequired(),
	)
}

// segment decodes part n (0 header, 1 claims) of a compact JWS without
// verifying it.
func segment(t *testing.T, token string, n int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[n])
	if err != nil {
		t.Fatalf("segment %d: %v", n, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("segment %d: %v", n, err)
	}
	return m
}

func header(t *testing.T, token string) map[string]any { t.Helper(); return segment(t, token, 0) }
func claims(t *testing.T, token string) map[string]any { t.Helper(); return segment(t, token, 1) }

// mustPanic runs f and fails unless it panics with a message containing want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("did not panic, want a panic containing %q", want)
		}
		var msg string
		switch v := r.(type) {
		case string:
			msg = v
		case error:
			msg = v.Error()
		}
		if !strings.Contains(msg, want) {
			t.Fatalf("panic %q, want it to contain %q", msg, want)
		}
	}()
	f()
}
