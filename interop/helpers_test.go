package interop_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/identsphere/identsphere-go/interop/internal/provider"
)

// apiAudience is the aud our services accept.
const apiAudience = "orders-api"

// The provider's clients.
var (
	// apiClient is the orders API itself, as a resource server: it has no
	// grant, only credentials for the introspection endpoint, where it may
	// ask about tokens meant for it.
	apiClient = provider.Client{ID: apiAudience, Secret: "orders-api-secret"}

	// worker is a service calling the orders API with its own token.
	worker = provider.Client{
		ID:       "orders-worker",
		Secret:   "orders-worker-secret",
		Audience: []string{apiAudience},
		Grants:   []oidc.GrantType{oidc.GrantTypeClientCredentials},
		Scopes:   []string{"admin"},
	}

	// cli is a public client (PKCE, no secret) whose users call the API.
	cli = provider.Client{
		ID:           "orders-cli",
		Audience:     []string{apiAudience},
		RedirectURIs: []string{"http://127.0.0.1/callback"},
		Grants:       []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken},
	}

	// spa is a front end (public, PKCE) whose users' ID tokens an API
	// gateway takes: they carry the user's email and email_verified.
	spa = provider.Client{
		ID:                "orders-spa",
		Audience:          []string{apiAudience},
		RedirectURIs:      []string{"http://127.0.0.1/callback"},
		Grants:            []oidc.GrantType{oidc.GrantTypeCode},
		UserinfoInIDToken: true,
	}

	// billingWorker and billingCLI get tokens from the same provider, with
	// the same key, for another API.
	billingWorker = provider.Client{
		ID:       "billing-worker",
		Secret:   "billing-worker-secret",
		Audience: []string{"billing-api"},
		Grants:   []oidc.GrantType{oidc.GrantTypeClientCredentials},
		Scopes:   []string{"admin"},
	}
	billingCLI = provider.Client{
		ID:           "billing-cli",
		Audience:     []string{"billing-api"},
		RedirectURIs: []string{"http://127.0.0.1/callback"},
		Grants:       []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken},
	}

	allClients = []provider.Client{apiClient, worker, cli, spa, billingWorker, billingCLI}
)

// startProvider starts the provider on ln (a new loopback listener when
// nil) and stops it when the test ends.
func startProvider(t *testing.T, ln net.Listener) *provider.Provider {
	t.Helper()
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	p, err := provider.Start(ln, allClients...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// plainClient makes the tests' requests to the targets: no keep-alives, so
// that no connection outlives a test, and no redirects.
var plainClient = &http.Client{
	Transport:     &http.Transport{DisableKeepAlives: true},
	Timeout:       20 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// answer is what a target replied.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// call sends one request with the token as a bearer token.
func call(t *testing.T, method, url, token string) answer {
	t.Helper()
	a, err := tryCall(t.Context(), method, url, token)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func tryCall(ctx context.Context, method, url, token string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return answer{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := plainClient.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: %w", method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// route is one of the targets' routes.
type route struct{ method, path string }

var (
	meRoute       = route{http.MethodGet, "/api/me"}
	adminRoute    = route{http.MethodGet, "/api/admin"}
	transferRoute = route{http.MethodPost, "/api/transfer"}
	verifiedRoute = route{http.MethodGet, "/api/verified"}
)

// expectAccepted requires 200 from the route with the token, answering for
// the subject wantSub.
func expectAccepted(t *testing.T, tg *target, r route, token, wantSub string) {
	t.Helper()
	a := call(t, r.method, tg.url+r.path, token)
	if err := accepted(a, wantSub); err != nil {
		t.Errorf("%s %s %s: %v", tg.name, r.method, r.path, err)
	}
}

func accepted(a answer, wantSub string) error {
	if a.status != http.StatusOK {
		return fmt.Errorf("%d %s, want 200", a.status, a.body)
	}
	var p profile
	if err := json.Unmarshal(a.body, &p); err != nil {
		return fmt.Errorf("body %s: %v", a.body, err)
	}
	if p.Subject != wantSub {
		return fmt.Errorf("sub %q, want %q", p.Subject, wantSub)
	}
	return nil
}

// expectRefused requires the RFC 6750 refusal with status and error code
// (invalid_token, insufficient_scope...; "" for a request without a
// token) in both the WWW-Authenticate challenge and the JSON body.
func expectRefused(t *testing.T, tg *target, r route, token string, status int, code string) {
	t.Helper()
	a := call(t, r.method, tg.url+r.path, token)
	if err := refused(a, status, code); err != nil {
		t.Errorf("%s %s %s: %v", tg.name, r.method, r.path, err)
	}
}

func refused(a answer, status int, code string) error {
	if a.status != status {
		return fmt.Errorf("%d %s, want %d %s", a.status, a.body, status, code)
	}
	var body struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(a.body, &body); err != nil || body.Error != code {
		return fmt.Errorf("body %s, want error %q", a.body, code)
	}
	// 401 and 403 carry an RFC 6750 challenge, which names the error, except
	// for a request without credentials (RFC 6750 section 3.1), and for 403
	// forbidden (a rule of the application, not an RFC 6750 error).
	ch := a.header.Get("WWW-Authenticate")
	switch {
	case status == http.StatusServiceUnavailable:
	case code == "forbidden" && ch != "":
		return fmt.Errorf("WWW-Authenticate %q for 403 forbidden, want none", ch)
	case code == "forbidden":
	case !strings.HasPrefix(ch, "Bearer "):
		return fmt.Errorf("WWW-Authenticate %q, want a Bearer challenge", ch)
	case code == "" && strings.Contains(ch, "error="):
		return fmt.Errorf("WWW-Authenticate %q names an error for a request without a token", ch)
	case code != "" && !strings.Contains(ch, `error="`+code+`"`):
		return fmt.Errorf("WWW-Authenticate %q, want error=%q", ch, code)
	}
	return nil
}

// eventually calls cond every 100ms until it returns nil or timeout
// passes, and returns its last error. It is for properties with a bound
// ("within 10 s"), never to wait for what can be awaited directly.
func eventually(t *testing.T, timeout time.Duration, cond func(context.Context) error) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	var last error
	err := poll(ctx, func() bool {
		last = cond(ctx)
		return last == nil
	})
	if err != nil && last == nil {
		return err
	}
	return last
}

// poll calls cond every 100ms until it holds or ctx ends.
func poll(ctx context.Context, cond func() bool) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// jwtShape is what a test reads of a token without verifying it: its
// header, and its claims' names and a few of their values. It is what may
// be logged; a token never is.
type jwtShape struct {
	Header map[string]any
	Claims map[string]any
}

func shapeOf(t *testing.T, token string) jwtShape {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("the token has %d parts, want a JWS of 3", len(parts))
	}
	var s jwtShape
	for i, dst := range []*map[string]any{&s.Header, &s.Claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("token part %d: %v", i, err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatalf("token part %d: %v", i, err)
		}
	}
	return s
}

// String shows the header and the claims, with jti and times elided.
func (s jwtShape) String() string {
	claims := map[string]any{}
	for k, v := range s.Claims {
		switch k {
		case "jti", "exp", "iat", "nbf", "auth_time":
			v = "…"
		}
		claims[k] = v
	}
	h, _ := json.Marshal(s.Header)
	c, _ := json.Marshal(claims)
	return fmt.Sprintf("header %s claims %s", h, c)
}

func (s jwtShape) kid() string {
	kid, _ := s.Header["kid"].(string)
	return kid
}

func (s jwtShape) audience() []string {
	switch aud := s.Claims["aud"].(type) {
	case string:
		return []string{aud}
	case []any:
		var out []string
		for _, a := range aud {
			s, _ := a.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

// checkAccessToken requires the shape of the provider's JWT access tokens:
// RS256 under the provider's current kid, typ JWT, our issuer, the subject
// and audience expected, client_id, jti, exp, and the scopes as a claim.
func checkAccessToken(
	t *testing.T,
	p *provider.Provider,
	token, wantSub string,
	wantAud []string,
	wantScope string,
) jwtShape {
	t.Helper()
	s := shapeOf(t, token)
	var errs []string
	check := func(ok bool, what string) {
		if !ok {
			errs = append(errs, what)
		}
	}
	check(s.Header["alg"] == "RS256", "alg RS256")
	check(s.Header["typ"] == "JWT", "typ JWT")
	check(s.kid() != "" && s.kid() == p.KeyID(), "kid of the provider's signing key")
	check(s.Claims["iss"] == p.Issuer, "iss "+p.Issuer)
	check(s.Claims["sub"] == wantSub, "sub "+wantSub)
	check(slices.Equal(s.audience(), wantAud), fmt.Sprintf("aud %q", wantAud))
	check(s.Claims["client_id"] != nil && s.Claims["jti"] != nil && s.Claims["exp"] != nil, "client_id, jti and exp")
	scope, _ := s.Claims["scope"].(string)
	check(scope == wantScope, fmt.Sprintf("scope %q", wantScope))
	if len(errs) > 0 {
		t.Fatalf("access token %v; want %s", s, strings.Join(errs, ", "))
	}
	return s
}

// foreignToken is a well-formed token for our issuer and audience, signed
// with a key the provider never published, under a kid it does not know:
// asking for it makes a Validator refresh the provider's keys.
func foreignToken(t *testing.T, issuer string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.RS256,
		Key:       jose.JSONWebKey{Key: key, KeyID: "never-published"},
	}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{
		"iss": issuer, "sub": "intruder", "aud": []string{apiAudience},
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
	})
	jws, err := signer.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return token
}
