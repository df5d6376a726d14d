package authtest

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
)

// PathIssuer is an Issuer whose issuer identifier has a path, or ends in a
// slash, as most real providers' do:
//
//	https://{tenant}.auth0.com/                          NewPathIssuer("/")
//	https://{org}.okta.com/oauth2/default                NewPathIssuer("/oauth2/default")
//	https://login.microsoftonline.com/{tenant}/v2.0      NewPathIssuer("/{tenant}/v2.0")
//	https://cognito-idp.{region}.amazonaws.com/{pool}    NewPathIssuer("/{pool}")
//	https://{host}/realms/{realm}                        NewPathIssuer("/realms/{realm}")
//
// It serves, on a loopback server of its own, the discovery document at
// URL() without its trailing slash + "/.well-known/openid-configuration"
// (where OpenID Connect Discovery puts it) and the keys at JWKSURL(). Its
// tokens carry URL() as iss. Everything else is the embedded Issuer's: the
// keys, SetJWKS, SetFault (which applies to the path's endpoints too), the
// fetch counters, and the /v1/auth/ and introspection endpoints, which stay
// at the embedded issuer's root and mint with its root URL as iss.
//
// The path's endpoints answer only requests whose Host is loopback (see
// WithLoopbackHostsOnly). Create one with NewPathIssuer and call Close.
type PathIssuer struct {
	*Issuer

	srv     *httptest.Server
	url     string
	jwksURL string

	mu   sync.RWMutex
	algs []string // advertised algorithms; nil: those of the published keys
}

// NewPathIssuer starts an issuer whose identifier is a loopback origin
// followed by path, such as "/oauth2/default", "/realms/acme" or "/" (a
// trailing slash). opts configure the embedded Issuer as for NewIssuer;
// WithDiscoveryIssuer, if given, is what the path's discovery document
// advertises.
//
// path must start with "/" and hold only letters, digits and "-._~" between
// its slashes, with no empty, "." or ".." segment except a final empty one
// (a trailing slash), and no ".well-known" segment. Anything else is a
// mistake in the test: NewPathIssuer panics, as NewIssuer does.
func NewPathIssuer(path string, opts ...Option) *PathIssuer {
	if err := checkIssuerPath(path); err != nil {
		panic(fmt.Sprintf("authtest: NewPathIssuer(%q): %v", path, err))
	}
	p := &PathIssuer{Issuer: NewIssuer(opts...)}
	base := strings.TrimSuffix(path, "/")
	discoveryAt, jwksAt := base+discoveryPath, base+jwksPath
	route := func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case discoveryAt:
			p.serveDiscovery(w, r)
		case jwksAt:
			p.Issuer.serveJWKS(w, r)
		default:
			http.NotFound(w, r)
		}
	}
	p.srv = httptest.NewUnstartedServer(loopbackHostsOnly(http.HandlerFunc(route)))
	origin := "http://" + p.srv.Listener.Addr().String()
	p.url, p.jwksURL = origin+path, origin+jwksAt
	p.srv.Start()
	return p
}

// checkIssuerPath reports what is wrong with an issuer path, if anything.
func checkIssuerPath(path string) error {
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("the path must start with %q", "/")
	}
	segments := strings.Split(path[1:], "/")
	for n, s := range segments {
		switch {
		case s == "" && n == len(segments)-1:
			// a trailing slash
		case s == "", s == ".", s == "..":
			return fmt.Errorf("segment %q is not allowed", s)
		case s == ".well-known":
			return fmt.Errorf(
				"an issuer identifier has no %q segment: give the issuer's path, not its discovery URL", s)
		case strings.IndexFunc(s, func(r rune) bool { return !isUnreserved(r) }) >= 0:
			return fmt.Errorf("segment %q holds a character other than letters, digits and %q", s, "-._~")
		}
	}
	return nil
}

func isUnreserved(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-._~", r)
}

// URL returns the issuer identifier, path included: the iss of minted tokens
// and, unless WithDiscoveryIssuer said otherwise, the issuer of the
// discovery document.
func (p *PathIssuer) URL() string { return p.url }

// JWKSURL returns where the path's keys are served: URL() without its
// trailing slash + "/.well-known/jwks.json".
func (p *PathIssuer) JWKSURL() string { return p.jwksURL }

// AdvertiseAlgorithms sets the id_token_signing_alg_values_supported of the
// discovery document to algs, as a provider does that signs its ID tokens
// with one algorithm and its access tokens with another (ORY Hydra: RS256
// ID tokens, ES256 access tokens, discovery naming RS256 only). With no
// algs it goes back to the algorithms of the published keys. It may be
// called while requests are in flight.
func (p *PathIssuer) AdvertiseAlgorithms(algs ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.algs = slices.Clone(algs)
}

// Mint is Issuer.Mint with URL() as the default iss: claims may still set
// iss, or remove it with a nil value.
func (p *PathIssuer) Mint(claims Claims, opts ...MintOption) (string, error) {
	if _, set := claims["iss"]; !set {
		claims = maps.Clone(claims)
		if claims == nil {
			claims = Claims{}
		}
		claims["iss"] = p.url
	}
	return p.Issuer.Mint(claims, opts...)
}

// MustMint is Mint for tests: it panics instead of returning an error.
func (p *PathIssuer) MustMint(claims Claims, opts ...MintOption) string {
	token, err := p.Mint(claims, opts...)
	if err != nil {
		panic(err)
	}
	return token
}

// Close stops both servers, the path's and the embedded issuer's, and waits
// for their handlers to return. It may be called more than once.
func (p *PathIssuer) Close() {
	p.Issuer.Close() // releases requests that FaultSlow holds, on both servers
	p.srv.Close()
}

// serveDiscovery serves the discovery document of the path issuer, with
// the embedded issuer's faults, counter and WithoutDiscovery.
func (p *PathIssuer) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	i := p.Issuer
	if !i.discoveryRequest(w, r) {
		return
	}
	p.mu.RLock()
	algs := p.algs
	p.mu.RUnlock()
	if algs == nil {
		algs = i.publishedAlgorithms()
	}
	issuer := p.url
	if i.discoveryIssuer != i.url { // WithDiscoveryIssuer was given
		issuer = i.discoveryIssuer
	}
	writeJSON(w, http.StatusOK, discoveryDocument{
		Issuer:                           issuer,
		JWKSURI:                          p.jwksURL,
		IDTokenSigningAlgValuesSupported: algs,
		ResponseTypesSupported:           []string{"code"},
		SubjectTypesSupported:            []string{"public"},
		IntrospectionEndpoint:            i.IntrospectionURL(),
	})
}
