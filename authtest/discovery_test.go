package authtest_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

const discoveryPath = "/.well-known/openid-configuration"

func discovery(t *testing.T, iss *authtest.Issuer) map[string]any {
	t.Helper()
	resp, body := get(t, iss.URL()+discoveryPath)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery status %d, body %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("discovery Content-Type %q", ct)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("discovery is not JSON: %v", err)
	}
	return doc
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, s := range list {
		str, _ := s.(string)
		out = append(out, str)
	}
	return out
}

func TestURLs(t *testing.T) {
	iss := newIssuer(t)
	if !strings.HasPrefix(iss.URL(), "http://127.0.0.1:") || strings.HasSuffix(iss.URL(), "/") {
		t.Errorf("URL %q, want http://127.0.0.1:PORT with no trailing slash", iss.URL())
	}
	if iss.JWKSURL() != iss.URL()+"/.well-known/jwks.json" {
		t.Errorf("JWKSURL %q", iss.JWKSURL())
	}
}

func TestDiscoveryDocument(t *testing.T) {
	iss := newIssuer(t,
		authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithKey(testkeys.KIDRSA2, testkeys.RSA2()),
		authtest.WithKey(testkeys.KIDEC, testkeys.EC()),
	)
	doc := discovery(t, iss)
	if doc["issuer"] != iss.URL() {
		t.Errorf("issuer %v, want %q", doc["issuer"], iss.URL())
	}
	if doc["jwks_uri"] != iss.JWKSURL() {
		t.Errorf("jwks_uri %v, want %q", doc["jwks_uri"], iss.JWKSURL())
	}
	if got := stringList(doc["id_token_signing_alg_values_supported"]); !slices.Equal(got, []string{"RS256", "ES256"}) {
		t.Errorf("id_token_signing_alg_values_supported %v, want [RS256 ES256]", got)
	}
	if got := stringList(doc["response_types_supported"]); !slices.Equal(got, []string{"code"}) {
		t.Errorf("response_types_supported %v", got)
	}
	if got := stringList(doc["subject_types_supported"]); !slices.Equal(got, []string{"public"}) {
		t.Errorf("subject_types_supported %v", got)
	}
	if got := doc["introspection_endpoint"]; got != iss.IntrospectionURL() {
		t.Errorf("introspection_endpoint %v, want %s", got, iss.IntrospectionURL())
	}

	iss.RemoveKey(testkeys.KIDRSA)
	iss.RemoveKey(testkeys.KIDRSA2)
	iss.RemoveKey(testkeys.KIDEC)
	algs, ok := discovery(t, iss)["id_token_signing_alg_values_supported"].([]any)
	if !ok || len(algs) != 0 {
		t.Errorf("with no keys, algs %v, want an empty JSON array (the field is required)", algs)
	}
}

func TestWithoutDiscoveryAnswers404ButServesJWKS(t *testing.T) {
	iss := newIssuer(t, authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()), authtest.WithoutDiscovery())
	resp, _ := get(t, iss.URL()+discoveryPath)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("discovery status %d, want 404", resp.StatusCode)
	}
	if iss.DiscoveryFetches() != 1 {
		t.Fatalf("DiscoveryFetches %d, want 1: a 404 still reached the endpoint", iss.DiscoveryFetches())
	}
	if _, err := verifyWithLiveJWKS(t, iss, iss.MustMint(nil)); err != nil {
		t.Fatalf("JWKS fallback does not work: %v", err)
	}
}

func TestWithDiscoveryIssuerLies(t *testing.T) {
	iss := newIssuer(t, authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithDiscoveryIssuer("https://accounts.example.com"))
	if got := discovery(t, iss)["issuer"]; got != "https://accounts.example.com" {
		t.Fatalf("discovery issuer %v, want the lie", got)
	}
	if got := claims(t, iss.MustMint(nil))["iss"]; got != iss.URL() {
		t.Fatalf("minted iss %v, want the real URL %q", got, iss.URL())
	}
}

func TestWellKnownEndpointsRefuseOtherMethods(t *testing.T) {
	iss := newIssuer(t)
	for _, path := range []string{discoveryPath, "/.well-known/jwks.json"} {
		resp, _ := do(t, newClient(t), mustRequest(t, http.MethodPost, iss.URL()+path, nil))
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf(
				"POST %s: %d Allow %q, want 405 Allow \"GET, HEAD\"",
				path,
				resp.StatusCode,
				resp.Header.Get("Allow"),
			)
		}
	}
	if iss.DiscoveryFetches() != 1 || iss.JWKSFetches() != 1 {
		t.Errorf("counters %d/%d, want 1/1", iss.DiscoveryFetches(), iss.JWKSFetches())
	}
}

func TestCountersCountEachEndpointSeparately(t *testing.T) {
	iss := newIssuer(t)
	for range 3 {
		liveJWKS(t, iss)
	}
	discovery(t, iss)
	if iss.JWKSFetches() != 3 || iss.DiscoveryFetches() != 1 || iss.AuthRequests() != 0 {
		t.Fatalf("JWKS %d, discovery %d, auth %d; want 3, 1, 0",
			iss.JWKSFetches(), iss.DiscoveryFetches(), iss.AuthRequests())
	}
}
