package bench

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/MicahParks/keyfunc/v3"
	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/jwks"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/jwtauth/v5"
	"github.com/golang-jwt/jwt/v5"
	lestrrat "github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/bench/internal/fixture"
	"github.com/identsphere/identsphere-go/chiauth"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/ginauth"
	"github.com/identsphere/identsphere-go/stdauth"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	code := m.Run()
	if env != nil {
		env.Close()
	}
	os.Exit(code)
}

var (
	envOnce sync.Once
	env     *fixture.Env
	envErr  error
)

// getEnv returns the issuer and token every benchmark shares.
func getEnv(tb testing.TB) *fixture.Env {
	envOnce.Do(func() { env, envErr = fixture.NewEnv() })
	if envErr != nil {
		tb.Fatal(envErr)
	}
	return env
}

// must panics on a failed operation: benchmarks run it from RunParallel's
// goroutines too, where b.Fatal is not allowed.
func must(ok bool, format string, args ...any) {
	if !ok {
		panic(fmt.Sprintf(format, args...))
	}
}

// The floors: one raw signature check per algorithm, of a precomputed
// SHA-256 digest for RS256 and ES256 (Ed25519 hashes inside, by design).
type floors struct{ rs256, es256, eddsa op }

func newFloors(tb testing.TB) floors {
	keys := getEnv(tb).Keys
	msg := []byte("payload")
	sum := sha256.Sum256(msg)
	rsSig, err := rsa.SignPKCS1v15(nil, keys.RSA, crypto.SHA256, sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	esSig, err := ecdsa.SignASN1(rand.Reader, keys.EC, sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	edSig := ed25519.Sign(keys.Ed25519, msg)
	rsPub, esPub, edPub := &keys.RSA.PublicKey, &keys.EC.PublicKey, keys.Ed25519.Public().(ed25519.PublicKey)
	return floors{
		rs256: func() {
			err := rsa.VerifyPKCS1v15(rsPub, crypto.SHA256, sum[:], rsSig)
			must(err == nil, "RS256 floor: %v", err)
		},
		es256: func() { must(ecdsa.VerifyASN1(esPub, sum[:], esSig), "ES256 floor failed") },
		eddsa: func() { must(ed25519.Verify(edPub, msg, edSig), "EdDSA floor failed") },
	}
}

// request is one GET /api/me through h with the given headers, as a test
// of a handler would send it: a new httptest request and recorder each time.
func request(h http.Handler, header http.Header) op {
	return func() {
		req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
		for k, v := range header {
			req.Header[k] = v
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		must(rec.Code == http.StatusNoContent, "GET /api/me: status %d, body %q", rec.Code, rec.Body.String())
	}
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

func cookie(token string) http.Header {
	return http.Header{"Cookie": {authtest.CookieName + "=" + token}}
}

// Handlers. Each protected handler reads the subject the way its library
// documents, then answers 204; the base handler only answers 204.
func noContent(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }

func coreHandler(w http.ResponseWriter, r *http.Request) {
	c, ok := core.ClaimsFrom(r.Context())
	if !ok || c.Subject == "" {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func ginHandler(c *gin.Context) {
	cl, ok := ginauth.Claims(c)
	if !ok || cl.Subject == "" {
		c.Status(http.StatusInternalServerError)
		return
	}
	c.Status(http.StatusNoContent)
}

func ginNoContent(c *gin.Context) { c.Status(http.StatusNoContent) }

// adapter returns the router with the identsphere middleware of one adapter
// in front of GET /api/me, and the same router without it.
func adapter(name string, v core.TokenVerifier, opts ...core.Option) (mw, base http.Handler) {
	switch name {
	case "stdauth":
		m := http.NewServeMux()
		m.Handle("GET /api/me", stdauth.Middleware(v, opts...)(http.HandlerFunc(coreHandler)))
		bm := http.NewServeMux()
		bm.HandleFunc("GET /api/me", noContent)
		return m, bm
	case "chiauth":
		r := chi.NewRouter()
		r.Group(func(r chi.Router) {
			r.Use(chiauth.Middleware(v, opts...))
			r.Get("/api/me", coreHandler)
		})
		br := chi.NewRouter()
		br.Get("/api/me", noContent)
		return r, br
	case "ginauth":
		r := gin.New()
		r.Group("/api", ginauth.Middleware(v, opts...)).GET("/me", ginHandler)
		br := gin.New()
		br.GET("/api/me", ginNoContent)
		return r, br
	}
	panic("unknown adapter " + name)
}

func newValidator(tb testing.TB, cached bool) *core.Validator {
	v, err := getEnv(tb).Validator(context.Background(), cached)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = v.Close() })
	return v
}

// seedClaims are the typed claims a team declares for golang-jwt.
type seedClaims struct {
	jwt.RegisteredClaims
	Email string `json:"email"`
	Org   string `json:"org"`
	Scope string `json:"scope"`
}

// contestant is one row of the table: a name and how to set it up.
type contestant struct {
	name string
	make func(tb testing.TB) subject
}

// floorContestants are the raw signature checks against the RS256 floor (so
// RS256's own x-floor is a sanity check: about 1).
var floorContestants = []contestant{
	{"RS256", func(tb testing.TB) subject { f := newFloors(tb); return subject{run: f.rs256, floor: f.rs256} }},
	{"ES256", func(tb testing.TB) subject { f := newFloors(tb); return subject{run: f.es256, floor: f.rs256} }},
	{"EdDSA", func(tb testing.TB) subject { f := newFloors(tb); return subject{run: f.eddsa, floor: f.rs256} }},
}

// referenceContestants are what no middleware does alone: golang-jwt's
// parse with a static key and typed claims (the parse every golang-jwt-based
// middleware pays), and the SHA-256 of the token plus a map lookup (what a
// verified-token cache hit cannot go below).
var referenceContestants = []contestant{
	{"golang-jwt-parse", func(tb testing.TB) subject {
		e := getEnv(tb)
		key := &e.Keys.RSA.PublicKey
		p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(e.Issuer.URL()),
			jwt.WithAudience(fixture.Audience), jwt.WithExpirationRequired(), jwt.WithLeeway(30*time.Second))
		kf := func(*jwt.Token) (any, error) { return key, nil }
		tok := e.Token
		return subject{
			run: func() {
				var c seedClaims
				_, err := p.ParseWithClaims(tok, &c, kf)
				must(err == nil && c.Subject != "", "golang-jwt: %v", err)
			},
			floor: newFloors(tb).rs256,
		}
	}},
	{"sha256-map", func(tb testing.TB) subject {
		tok := getEnv(tb).Token
		m := map[[32]byte]*seedClaims{sha256.Sum256([]byte(tok)): {Email: "a@example.com"}}
		return subject{
			run: func() {
				d := sha256.Sum256(unsafe.Slice(unsafe.StringData(tok), len(tok)))
				must(m[d] != nil, "sha256-map: miss")
			},
			floor: newFloors(tb).rs256,
		}
	}},
}

// identsphereSubject is one adapter with the verified-token cache on or off.
func identsphereSubject(name string, cached bool, header func(string) http.Header) func(tb testing.TB) subject {
	return func(tb testing.TB) subject {
		e := getEnv(tb)
		mw, base := adapter(name, newValidator(tb, cached))
		hdr := header(e.Token)
		return subject{run: request(mw, hdr), base: request(base, hdr), floor: newFloors(tb).rs256}
	}
}

// identsphereContestants are the three adapters, with the cache off and on
// (every request after the first is then a hit), with the token in the
// Authorization header; then the three cache hits with the token in the
// identsphere_at cookie, the seed pattern's transport and the one a browser
// sends, and stdauth with the cookie and the cache off.
var identsphereContestants = []contestant{
	{"stdauth/uncached", identsphereSubject("stdauth", false, bearer)},
	{"chiauth/uncached", identsphereSubject("chiauth", false, bearer)},
	{"ginauth/uncached", identsphereSubject("ginauth", false, bearer)},
	{"stdauth/cached", identsphereSubject("stdauth", true, bearer)},
	{"chiauth/cached", identsphereSubject("chiauth", true, bearer)},
	{"ginauth/cached", identsphereSubject("ginauth", true, bearer)},
	{"stdauth-cookie/cached", identsphereSubject("stdauth", true, cookie)},
	{"chiauth-cookie/cached", identsphereSubject("chiauth", true, cookie)},
	{"ginauth-cookie/cached", identsphereSubject("ginauth", true, cookie)},
	{"stdauth-cookie/uncached", identsphereSubject("stdauth", false, cookie)},
}

// parallelContestants are the cached adapters, run on all cores at once:
// one hot token read from every core.
var parallelContestants = []contestant{
	{"stdauth/cached", identsphereSubject("stdauth", true, bearer)},
	{"chiauth/cached", identsphereSubject("chiauth", true, bearer)},
	{"ginauth/cached", identsphereSubject("ginauth", true, bearer)},
}

// seedKey is the context key of the seed pattern's claims.
type seedKey struct{}

// seedMiddleware is the seed pattern: what a team writes by hand with
// golang-jwt and keyfunc. The token comes from the identsphere_at cookie,
// is parsed into typed claims, and the claims go into the context.
func seedMiddleware(kf jwt.Keyfunc, issuer, audience string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ck, err := r.Cookie(authtest.CookieName)
			if err != nil {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			var claims seedClaims
			_, err = jwt.ParseWithClaims(ck.Value, &claims, kf,
				jwt.WithValidMethods([]string{"RS256"}),
				jwt.WithIssuer(issuer),
				jwt.WithAudience(audience),
				jwt.WithExpirationRequired(),
				jwt.WithLeeway(30*time.Second))
			if err != nil {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), seedKey{}, &claims)))
		})
	}
}

// muxBase is the net/http router alone.
func muxBase() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /api/me", noContent)
	return m
}

// peerContestants are what teams use instead, each with its keys from the
// loopback issuer where it can fetch a JWKS.
var peerContestants = []contestant{
	{"seed-keyfunc-cookie", func(tb testing.TB) subject {
		e := getEnv(tb)
		ctx, cancel := context.WithCancel(context.Background())
		tb.Cleanup(cancel)
		k, err := keyfunc.NewDefaultCtx(ctx, []string{e.Issuer.JWKSURL()})
		if err != nil {
			tb.Fatal(err)
		}
		m := http.NewServeMux()
		m.Handle("GET /api/me", seedMiddleware(k.Keyfunc, e.Issuer.URL(), fixture.Audience)(http.HandlerFunc(
			func(w http.ResponseWriter, r *http.Request) {
				c, ok := r.Context().Value(seedKey{}).(*seedClaims)
				must(ok && c.Subject != "", "seed: no claims")
				w.WriteHeader(http.StatusNoContent)
			})))
		hdr := cookie(e.Token)
		return subject{run: request(m, hdr), base: request(muxBase(), hdr), floor: newFloors(tb).rs256}
	}},
	{"auth0-go-jwt-middleware", func(tb testing.TB) subject {
		e := getEnv(tb)
		u, err := url.Parse(e.Issuer.URL())
		if err != nil {
			tb.Fatal(err)
		}
		provider := jwks.NewCachingProvider(u, 5*time.Minute)
		jv, err := validator.New(provider.KeyFunc, validator.RS256, e.Issuer.URL(), []string{fixture.Audience},
			validator.WithAllowedClockSkew(30*time.Second))
		if err != nil {
			tb.Fatal(err)
		}
		mw := jwtmiddleware.New(jv.ValidateToken)
		m := http.NewServeMux()
		m.Handle("GET /api/me", mw.CheckJWT(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := r.Context().Value(jwtmiddleware.ContextKey{}).(*validator.ValidatedClaims)
			must(ok && c.RegisteredClaims.Subject != "", "auth0: no claims")
			w.WriteHeader(http.StatusNoContent)
		})))
		hdr := bearer(e.Token)
		return subject{run: request(m, hdr), base: request(muxBase(), hdr), floor: newFloors(tb).rs256}
	}},
	{"go-chi-jwtauth-static-key", func(tb testing.TB) subject {
		e := getEnv(tb)
		ja := jwtauth.New("RS256", nil, &e.Keys.RSA.PublicKey,
			lestrrat.WithIssuer(e.Issuer.URL()), lestrrat.WithAudience(fixture.Audience),
			lestrrat.WithAcceptableSkew(30*time.Second))
		r := chi.NewRouter()
		r.Group(func(r chi.Router) {
			r.Use(jwtauth.Verifier(ja), jwtauth.Authenticator(ja))
			r.Get("/api/me", func(w http.ResponseWriter, r *http.Request) {
				// The token itself rather than FromContext, whose claims map
				// would add allocations jwtauth does not need to make.
				t, ok := r.Context().Value(jwtauth.TokenCtxKey).(lestrrat.Token)
				must(ok && t.Subject() != "", "jwtauth: no token")
				w.WriteHeader(http.StatusNoContent)
			})
		})
		br := chi.NewRouter()
		br.Get("/api/me", noContent)
		hdr := bearer(e.Token)
		return subject{run: request(r, hdr), base: request(br, hdr), floor: newFloors(tb).rs256}
	}},
}

func runAll(b *testing.B, cs []contestant, m func(*testing.B, subject)) {
	for _, c := range cs {
		b.Run(c.name, func(b *testing.B) { m(b, c.make(b)) })
	}
}

func BenchmarkFloor(b *testing.B)       { runAll(b, floorContestants, measure) }
func BenchmarkReference(b *testing.B)   { runAll(b, referenceContestants, measure) }
func BenchmarkIdentsphere(b *testing.B) { runAll(b, identsphereContestants, measure) }
func BenchmarkParallel(b *testing.B)    { runAll(b, parallelContestants, measureParallel) }
func BenchmarkPeers(b *testing.B)       { runAll(b, peerContestants, measure) }

// TestContestants runs every operation once, so that a broken setup shows
// without running the benchmarks: each answers as expected or panics.
func TestContestants(t *testing.T) {
	groups := map[string][]contestant{
		"Floor": floorContestants, "Reference": referenceContestants, "Identsphere": identsphereContestants,
		"Parallel": parallelContestants, "Peers": peerContestants, "GRPC": grpcContestants,
	}
	for g, cs := range groups {
		for _, c := range cs {
			t.Run(g+"/"+c.name, func(t *testing.T) {
				s := c.make(t)
				for range 2 { // the second time, from the caches
					s.run()
					if s.base != nil {
						s.base()
					}
					s.floor()
				}
			})
		}
	}
}
