package authtest_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

func newPathIssuer(t *testing.T, path string, opts ...authtest.Option) *authtest.PathIssuer {
	t.Helper()
	if len(opts) == 0 {
		opts = []authtest.Option{authtest.WithKey(testkeys.KIDRSA, testkeys.RSA())}
	}
	p := authtest.NewPathIssuer(path, opts...)
	t.Cleanup(p.Close)
	return p
}

// pathDiscovery fetches the discovery document where OpenID Connect
// Discovery section 4 puts it: the issuer without its trailing slash, then
// /.well-known/openid-configuration.
func pathDiscovery(t *testing.T, p *authtest.PathIssuer) (int, map[string]any) {
	t.Helper()
	resp, body := get(t, strings.TrimSuffix(p.URL(), "/")+discoveryPath)
	var doc map[string]any
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("discovery is not JSON: %v", err)
		}
	}
	return resp.StatusCode, doc
}

func TestPathIssuerServesDiscoveryAndKeysUnderItsPath(t *testing.T) {
	for _, path := range []string{
		"/",
		"/oauth2/default",
		"/realms/acme",
		"/0b1c2d3e-tenant/v2.0",
		"/us-east-1_Ab12Cd34",
		"/dex/",
	} {
		t.Run(path, func(t *testing.T) {
			p := newPathIssuer(t, path)
			if !strings.HasPrefix(p.URL(), "http://127.0.0.1:") || !strings.HasSuffix(p.URL(), path) {
				t.Fatalf("URL %q, want a loopback origin followed by %q", p.URL(), path)
			}
			if want := strings.TrimSuffix(p.URL(), "/") + "/.well-known/jwks.json"; p.JWKSURL() != want {
				t.Fatalf("JWKSURL %q, want %q", p.JWKSURL(), want)
			}
			status, doc := pathDiscovery(t, p)
			if status != http.StatusOK {
				t.Fatalf("discovery answered %d", status)
			}
			if doc["issuer"] != p.URL() || doc["jwks_uri"] != p.JWKSURL() {
				t.Fatalf(
					"discovery issuer %v, jwks_uri %v; want %q and %q",
					doc["issuer"],
					doc["jwks_uri"],
					p.URL(),
					p.JWKSURL(),
				)
			}

			// A token minted by the path issuer carries its URL as iss
			// and verifies with the keys served under the path.
			token := p.MustMint(nil)
			resp, body := get(t, p.JWKSURL())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("JWKS answered %d", resp.StatusCode)
			}
			kf, err := keyfunc.NewJWKSetJSON(body)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := jwt.Parse(token, kf.Keyfunc, jwt.WithValidMethods([]string{"RS256"}),
				jwt.WithIssuer(p.URL()), jwt.WithAudience(p.Audience()), jwt.WithExpirationRequired()); err != nil {
				t.Fatalf("the path issuer's token does not verify as its own: %v", err)
			}
			if got := p.JWKSFetches(); got != 1 {
				t.Fatalf("JWKSFetches %d after one fetch under the path", got)
			}
			if got := p.DiscoveryFetches(); got != 1 {
				t.Fatalf("DiscoveryFetches %d after one fetch under the path", got)
			}
		})
	}
}

func TestPathIssuerMintKeepsAnExplicitIss(t *testing.T) {
	p := newPathIssuer(t, "/oauth2/default")
	if got := claims(t, p.MustMint(authtest.Claims{"scp": []string{"a"}}))["iss"]; got != p.URL() {
		t.Errorf("default iss %v, want %q", got, p.URL())
	}
	if got := claims(
		t,
		p.MustMint(authtest.Claims{"iss": "https://other.example/"}),
	)["iss"]; got != "https://other.example/" {
		t.Errorf("explicit iss %v", got)
	}
	if _, present := claims(t, p.MustMint(authtest.Claims{"iss": nil}))["iss"]; present {
		t.Error("iss: nil did not remove iss")
	}
	// The caller's map is not changed.
	c := authtest.Claims{"sub": "u"}
	p.MustMint(c)
	if _, set := c["iss"]; set {
		t.Error("Mint wrote iss into the caller's Claims")
	}
}

func TestPathIssuerOnlyServesItsOwnPath(t *testing.T) {
	p := newPathIssuer(t, "/realms/acme")
	origin := strings.TrimSuffix(p.URL(), "/realms/acme")
	for _, u := range []string{
		origin + discoveryPath,                       // the root is not the issuer
		origin + "/realms/other" + discoveryPath,     // nor another realm
		p.URL() + "/" + discoveryPath,                // nor a doubled slash
		origin + "/realms/acme/.well-known/jwks.jsn", // nor a near miss
	} {
		if resp, _ := get(t, u); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s answered %d, want 404", u, resp.StatusCode)
		}
	}
	if p.JWKSFetches() != 0 || p.DiscoveryFetches() != 0 {
		t.Errorf("paths outside the issuer were counted as fetches: %d, %d", p.JWKSFetches(), p.DiscoveryFetches())
	}
}

func TestPathIssuerAdvertiseAlgorithms(t *testing.T) {
	p := newPathIssuer(t, "/",
		authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithKey(testkeys.KIDEC, testkeys.EC()))
	algs := func() []string {
		_, doc := pathDiscovery(t, p)
		return stringList(doc["id_token_signing_alg_values_supported"])
	}
	if got := algs(); !slices.Equal(got, []string{"RS256", "ES256"}) {
		t.Fatalf("by default %v, want the published keys' [RS256 ES256]", got)
	}
	p.AdvertiseAlgorithms("RS256")
	if got := algs(); !slices.Equal(got, []string{"RS256"}) {
		t.Fatalf("after AdvertiseAlgorithms(RS256): %v", got)
	}
	p.AdvertiseAlgorithms()
	if got := algs(); !slices.Equal(got, []string{"RS256", "ES256"}) {
		t.Fatalf("after AdvertiseAlgorithms(): %v, want the published keys' again", got)
	}
}

func TestPathIssuerSharesTheEmbeddedIssuersState(t *testing.T) {
	p := newPathIssuer(
		t,
		"/tenant/v2.0",
		authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithoutDiscovery(),
	)
	if status, _ := pathDiscovery(t, p); status != http.StatusNotFound {
		t.Errorf("WithoutDiscovery: the path's discovery answered %d, want 404", status)
	}
	p.SetJWKS([]byte(`{"keys":[]}`))
	if _, body := get(t, p.JWKSURL()); string(body) != `{"keys":[]}` {
		t.Errorf("SetJWKS is not served under the path: %s", body)
	}
	p.SetFault(authtest.FaultServerError)
	if resp, _ := get(t, p.JWKSURL()); resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("SetFault is not applied under the path: %d", resp.StatusCode)
	}

	q := newPathIssuer(
		t,
		"/",
		authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithDiscoveryIssuer("https://liar.example/"),
	)
	if _, doc := pathDiscovery(t, q); doc["issuer"] != "https://liar.example/" {
		t.Errorf("WithDiscoveryIssuer is not what the path advertises: %v", doc["issuer"])
	}
}

func TestPathIssuerRefusesForeignHosts(t *testing.T) {
	p := newPathIssuer(t, "/oauth2/default")
	req := mustRequest(t, http.MethodGet, p.JWKSURL(), nil)
	req.Host = "attacker.example"
	if resp, _ := do(t, newClient(t), req); resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("a foreign Host got %d, want 421", resp.StatusCode)
	}
	if p.JWKSFetches() != 0 {
		t.Error("a refused request was counted")
	}
}

func TestPathIssuerCloseReleasesHeldRequests(t *testing.T) {
	held := make(chan struct{}, 1)
	p := authtest.NewPathIssuer("/slow", authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithHoldHook(func() { held <- struct{}{} }))
	t.Cleanup(p.Close)
	p.SetFault(authtest.FaultSlow)

	result := make(chan error, 1)
	c := newClient(t) // no client timeout: only Close can end the request
	req := mustRequest(t, http.MethodGet, p.JWKSURL(), nil)
	go func() {
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		result <- err
	}()
	select {
	case <-held:
	case err := <-result:
		t.Fatalf("the request ended before it was held: %v", err)
	case <-time.After(promptly):
		t.Fatal("the request never reached the slow handler under the path")
	}
	start := time.Now()
	p.Close()
	if d := time.Since(start); d > promptly {
		t.Fatalf("Close took %v with a request held under the path", d)
	}
	if err := <-result; err == nil {
		t.Fatal("a request held by FaultSlow was answered, want its connection dropped on Close")
	}
	p.Close() // a second Close must not block or panic
}

func TestNewPathIssuerRefusesBadPaths(t *testing.T) {
	for _, path := range []string{
		"",
		"oauth2",
		"//x",
		"/a//b",
		"/./a",
		"/a/../b",
		"/.well-known/openid-configuration",
		"/a b",
		"/{tenant}",
		"/a?b",
		"/a%2Fb",
	} {
		mustPanic(t, "NewPathIssuer", func() { authtest.NewPathIssuer(path).Close() })
	}
}
