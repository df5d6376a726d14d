package core_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/jose"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

const dpopBase = "https://api.example.com"

var b64u = base64.RawURLEncoding

// proofKey is a client's DPoP key, with its public JWK and thumbprint
// computed here independently of core.
type proofKey struct {
	signer crypto.Signer
	alg    string
	jwk    map[string]any
}

func newProofKey(t testing.TB) *proofKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &proofKey{signer: k, alg: "ES256", jwk: map[string]any{
		"kty": "EC", "crv": "P-256", "x": b64u.EncodeToString(k.X.FillBytes(make([]byte, 32))),
		"y": b64u.EncodeToString(k.Y.FillBytes(make([]byte, 32))),
	}}
}

func (k *proofKey) thumbprint() string {
	var canon string
	member := func(name string) string { return k.jwk[name].(string) }
	switch k.jwk["kty"] {
	case "RSA":
		canon = `{"e":"` + member("e") + `","kty":"RSA","n":"` + member("n") + `"}`
	case "OKP":
		canon = `{"crv":"` + member("crv") + `","kty":"OKP","x":"` + member("x") + `"}`
	default:
		canon = `{"crv":"` + member("crv") + `","kty":"EC","x":"` + member("x") + `","y":"` + member("y") + `"}`
	}
	sum := sha256.Sum256([]byte(canon))
	return b64u.EncodeToString(sum[:])
}

// proof signs a DPoP proof for method and url with the access token;
// header and claims entries override (nil removes).
func (k *proofKey) proof(t testing.TB, method, url, token string, header, claims map[string]any) string {
	t.Helper()
	sum := sha256.Sum256([]byte(token))
	c := jwt.MapClaims{
		"jti": rand.Text(),
		"htm": method,
		"htu": url,
		"iat": time.Now().Unix(),
		"ath": b64u.EncodeToString(sum[:]),
	}
	for name, v := range claims {
		if v == nil {
			delete(c, name)
		} else {
			c[name] = v
		}
	}
	method2 := jwt.GetSigningMethod(k.alg)
	tok := jwt.NewWithClaims(method2, c)
	tok.Header["typ"] = "dpop+jwt"
	tok.Header["jwk"] = k.jwk
	for name, v := range header {
		if v == nil {
			delete(tok.Header, name)
		} else {
			tok.Header[name] = v
		}
	}
	var key any = k.signer
	if k.alg == "none" {
		key = jwt.UnsafeAllowNoneSignatureType
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type dpopEnv struct {
	iss  *authtest.Issuer
	key  *proofKey
	h    http.Handler
	seen atomic.Int64
}

func newDPoPEnv(t *testing.T, cfg core.DPoPConfig) *dpopEnv {
	t.Helper()
	e := &dpopEnv{iss: newIssuer(t), key: newProofKey(t)}
	v := authcases.NewValidator(t, config(e.iss))
	if cfg.PublicURL == "" {
		cfg.PublicURL = dpopBase
	}
	a := core.NewAuthenticator(v, withDPoP(t, cfg))
	e.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := a.Admit(w, r); ok {
			e.seen.Add(1)
		}
	})
	return e
}

func (e *dpopEnv) boundToken(key *proofKey) string {
	return e.iss.MustMint(authtest.Claims{"cnf": map[string]string{"jkt": key.thumbprint()}})
}

// send makes a request to path (query included) with an Authorization of
// scheme and token, and the DPoP headers.
func (e *dpopEnv) send(method, target, scheme, token string, proofs ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	if token != "" {
		r.Header.Set("Authorization", scheme+" "+token)
	}
	for _, p := range proofs {
		r.Header.Add("DPoP", p)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

func TestDPoPProofs(t *testing.T) {
	e := newDPoPEnv(t, core.DPoPConfig{Mode: core.DPoPAllowed})
	k := e.key
	tok := e.boundToken(k)
	url := dpopBase + "/api/me"
	other := newProofKey(t)
	rsaKey := &proofKey{
		signer: testkeys.RSA1024(),
		alg:    "RS256",
		jwk:    map[string]any{"kty": "RSA", "n": b64u.EncodeToString(testkeys.RSA1024().N.Bytes()), "e": "AQAB"},
	}
	rsaTok := e.boundToken(rsaKey)
	private := maps.Clone(k.jwk)
	private["d"] = b64u.EncodeToString(k.signer.(*ecdsa.PrivateKey).D.Bytes())
	replayed := k.proof(t, "GET", url, tok, nil, nil)
	if w := e.send("GET", "/api/me", "DPoP", tok, replayed); w.Code != 200 {
		t.Fatalf("a valid proof: %d %s", w.Code, w.Body)
	}
	bearerTok := e.iss.MustMint(nil)

	type dpopCase struct {
		name, method, target, scheme, token string
		proofs                              []string
		status                              int
		challenge                           string // prefix of WWW-Authenticate
	}
	// admitted is a GET of target with tok under the DPoP scheme and proof,
	// which reaches the handler.
	admitted := func(name, target, proof string) dpopCase {
		return dpopCase{name, "GET", target, "DPoP", tok, []string{proof}, 200, ""}
	}
	// refused is a GET of /api/me with tok under the DPoP scheme and
	// proofs, answered 401 invalid_dpop_proof.
	refused := func(name string, proofs ...string) dpopCase {
		return dpopCase{name, "GET", "/api/me", "DPoP", tok, proofs, 401, `DPoP error="invalid_dpop_proof"`}
	}
	// proof is k's proof of a GET of htu with tok, header and claims
	// changed.
	proof := func(htu string, header, claims map[string]any) string {
		return k.proof(t, "GET", htu, tok, header, claims)
	}
	valid := func() string { return proof(url, nil, nil) }
	withIAT := func(d time.Duration) map[string]any { return map[string]any{"iat": time.Now().Add(d).Unix()} }
	otherSigner := &proofKey{signer: other.signer, alg: "ES256", jwk: k.jwk}
	algNone := &proofKey{alg: "none", jwk: k.jwk}

	cases := []dpopCase{
		admitted("valid", "/api/me", valid()),
		admitted("query-only difference (htu excludes the query)", "/api/me?page=2", valid()),
		admitted("htu with upper-case scheme and host and the default port", "/api/me",
			proof("HTTPS://API.example.com:443/api/me", nil, nil)),
		admitted("htu with an escaped unreserved character", "/api/me", proof(dpopBase+"/api/%6De", nil, nil)),
		refused("htu with a trailing slash", proof(url+"/", nil, nil)),
		refused("htu with an encoded slash", proof(dpopBase+"/api%2Fme", nil, nil)),
		{"plain bearer token without a proof", "GET", "/api/me", "Bearer", bearerTok, nil, 200, ""},
		refused("replayed proof", replayed),
		{"proof for another method", "POST", "/api/me", "DPoP", tok, []string{valid()}, 401,
			`DPoP error="invalid_dpop_proof"`},
		refused("proof for another URL", proof(dpopBase+"/api/admin", nil, nil)),
		refused("proof for another host", proof("https://evil.example/api/me", nil, nil)),
		refused("iat too old", proof(url, nil, withIAT(-2*time.Minute))),
		refused("iat in the future", proof(url, nil, withIAT(time.Minute))),
		refused("ath of another token", k.proof(t, "GET", url, bearerTok, nil, nil)),
		refused("no ath", proof(url, nil, map[string]any{"ath": nil})),
		refused("proof key is not cnf.jkt", other.proof(t, "GET", url, tok, nil, nil)),
		refused("signed by another key, jwk kept", otherSigner.proof(t, "GET", url, tok, nil, nil)),
		refused("private key in jwk", proof(url, map[string]any{"jwk": private}, nil)),
		refused("typ JWT", proof(url, map[string]any{"typ": "JWT"}, nil)),
		refused("alg none", algNone.proof(t, "GET", url, tok, nil, nil)),
		refused("HS256 with the jwk's x as secret", hs256Proof(t, k, url, tok)),
		{"RSA-1024 proof key", "GET", "/api/me", "DPoP", rsaTok,
			[]string{rsaKey.proof(t, "GET", url, rsaTok, nil, nil)}, 401, `DPoP error="invalid_dpop_proof"`},
		refused("two DPoP headers", valid(), valid()),
		refused("no DPoP header"),
		refused("oversized proof", strings.Repeat("A", core.DefaultMaxDPoPProofSize+1)),
		refused("garbage proof", "a.b.c"),
		{"DPoP-bound token as Bearer", "GET", "/api/me", "Bearer", tok, nil, 401, `Bearer error="invalid_token"`},
		{"Bearer token with a stray proof", "GET", "/api/me", "Bearer", bearerTok,
			[]string{k.proof(t, "GET", url, bearerTok, nil, nil)}, 400, `Bearer error="invalid_request"`},
		{"unbound token with the DPoP scheme", "GET", "/api/me", "DPoP", bearerTok,
			[]string{k.proof(t, "GET", url, bearerTok, nil, nil)}, 401, `DPoP error="invalid_token"`},
		{"no token", "GET", "/api/me", "", "", nil, 401, `Bearer realm="identsphere", DPoP algs=`},
	}
	for _, c := range cases {
		before := e.seen.Load()
		w := e.send(c.method, c.target, c.scheme, c.token, c.proofs...)
		if w.Code != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, w.Code, w.Body, c.status)
			continue
		}
		if got := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, c.challenge) {
			t.Errorf("%s: WWW-Authenticate %q, want it to start with %q", c.name, got, c.challenge)
		}
		if reached := e.seen.Load() > before; reached != (c.status == 200) {
			t.Errorf("%s: handler reached = %v", c.name, reached)
		}
		if c.status == 401 && strings.HasPrefix(c.challenge, "DPoP error=\"invalid_dpop_proof\"") {
			var body map[string]string
			_ = json.Unmarshal(w.Body.Bytes(), &body)
			if body["error"] != "invalid_dpop_proof" || strings.Contains(w.Body.String(), c.token) ||
				!strings.Contains(w.Header().Get("WWW-Authenticate"), `algs="ES256`) {
				t.Errorf("%s: body %s, challenge %q", c.name, w.Body, w.Header().Get("WWW-Authenticate"))
			}
		}
	}
}

// A proof header already seen with a valid proof is remembered with its
// key: presented with a token bound to another key, it is still refused,
// and a proof that reuses a remembered header but is signed by another key
// still fails its signature check.
func TestDPoPRememberedProofHeaderIsCheckedAgainstEachToken(t *testing.T) {
	e := newDPoPEnv(t, core.DPoPConfig{Mode: core.DPoPAllowed})
	url := dpopBase + "/api/me"
	k1, k2 := e.key, newProofKey(t)
	tok1, tok2 := e.boundToken(k1), e.boundToken(k2)
	for _, c := range []struct {
		k   *proofKey
		tok string
	}{{k1, tok1}, {k2, tok2}} {
		if w := e.send("GET", "/api/me", "DPoP", c.tok, c.k.proof(t, "GET", url, c.tok, nil, nil)); w.Code != 200 {
			t.Fatalf("a valid proof: %d %s", w.Code, w.Body)
		}
	}
	if w := e.send("GET", "/api/me", "DPoP", tok1, k2.proof(t, "GET", url, tok1, nil, nil)); w.Code != 401 {
		t.Errorf("token bound to k1 with a proof by k2 (a remembered header): %d, want 401", w.Code)
	}
	forged := (&proofKey{signer: k2.signer, alg: "ES256", jwk: k1.jwk}).proof(t, "GET", url, tok1, nil, nil)
	if w := e.send("GET", "/api/me", "DPoP", tok1, forged); w.Code != 401 {
		t.Errorf("k1's remembered header on a proof signed by k2: %d, want 401", w.Code)
	}
}

// hs256Proof signs a proof with HMAC, the jwk's x as the secret.
func hs256Proof(t *testing.T, k *proofKey, url, token string) string {
	sum := sha256.Sum256([]byte(token))
	tok := jwt.NewWithClaims(
		jwt.SigningMethodHS256,
		jwt.MapClaims{
			"jti": rand.Text(),
			"htm": "GET",
			"htu": url,
			"iat": time.Now().Unix(),
			"ath": b64u.EncodeToString(sum[:]),
		},
	)
	tok.Header["typ"], tok.Header["jwk"] = "dpop+jwt", k.jwk
	s, err := tok.SignedString([]byte(k.jwk["x"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDPoPModesAndNonces(t *testing.T) {
	url := dpopBase + "/api/me"

	required := newDPoPEnv(t, core.DPoPConfig{Mode: core.DPoPRequired})
	if w := required.send("GET", "/api/me", "Bearer", required.iss.MustMint(nil)); w.Code != 401 ||
		!strings.HasPrefix(w.Header().Get("WWW-Authenticate"), `DPoP error="invalid_token"`) {
		t.Errorf("required mode, a Bearer token: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	if w := required.send("GET", "/api/me", "", ""); w.Code != 401 ||
		!strings.HasPrefix(w.Header().Get("WWW-Authenticate"), `DPoP realm="identsphere", algs=`) {
		t.Errorf("required mode, no token: %q", w.Header().Get("WWW-Authenticate"))
	}

	// Without WithDPoP, a bound token is refused even as Bearer, and the
	// DPoP scheme is a malformed request.
	e := newDPoPEnv(t, core.DPoPConfig{Mode: core.DPoPAllowed})
	v := authcases.NewValidator(t, config(e.iss))
	plain := core.NewAuthenticator(v)
	tok := e.boundToken(e.key)
	for scheme, want := range map[string]int{"Bearer": 401, "DPoP": 400} {
		r := httptest.NewRequest("GET", "/api/me", nil)
		r.Header.Set("Authorization", scheme+" "+tok)
		r.Header.Set("DPoP", e.key.proof(t, "GET", url, tok, nil, nil))
		w := httptest.NewRecorder()
		if _, ok := plain.Admit(w, r); ok || w.Code != want {
			t.Errorf("DPoP off, a bound token as %s: %d, want %d", scheme, w.Code, want)
		}
	}

	secret := []byte(strings.Repeat("s", 32))
	var clk clock
	nonces, err := core.NewDPoPNonces(secret, time.Minute, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	withNonce := newDPoPEnv(t, core.DPoPConfig{Mode: core.DPoPAllowed, Nonces: nonces})
	tok = withNonce.boundToken(withNonce.key)
	w := withNonce.send("GET", "/api/me", "DPoP", tok, withNonce.key.proof(t, "GET", url, tok, nil, nil))
	nonce := w.Header().Get("DPoP-Nonce")
	if w.Code != 401 || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), `DPoP error="use_dpop_nonce"`) ||
		nonce == "" {
		t.Fatalf("missing nonce: %d %q nonce %q", w.Code, w.Header().Get("WWW-Authenticate"), nonce)
	}
	if w := withNonce.send(
		"GET",
		"/api/me",
		"DPoP",
		tok,
		withNonce.key.proof(t, "GET", url, tok, nil, map[string]any{"nonce": nonce}),
	); w.Code != 200 {
		t.Fatalf("with the server's nonce: %d %s", w.Code, w.Body)
	}
	clk.advance(3 * time.Minute) // two periods later: stale
	if w := withNonce.send(
		"GET",
		"/api/me",
		"DPoP",
		tok,
		withNonce.key.proof(t, "GET", url, tok, nil, map[string]any{"nonce": nonce}),
	); w.Code != 401 ||
		w.Header().Get("DPoP-Nonce") == nonce ||
		!strings.Contains(w.Header().Get("WWW-Authenticate"), "use_dpop_nonce") {
		t.Fatalf("stale nonce: %d %q", w.Code, w.Header().Get("DPoP-Nonce"))
	}
	other, _ := core.NewDPoPNonces([]byte(strings.Repeat("o", 32)), time.Minute, clk.now)
	if nonces.Valid(other.Current()) {
		t.Fatal("a nonce made with another secret is valid")
	}
	if _, err := core.NewDPoPNonces([]byte("short"), 0, nil); err == nil {
		t.Fatal("a short nonce secret was accepted")
	}
	for _, bad := range []core.DPoPConfig{
		{Mode: core.DPoPAllowed},
		{Mode: core.DPoPAllowed, PublicURL: "api.example.com"},
		{Mode: core.DPoPAllowed, PublicURL: dpopBase + "?x=1"},
		{Mode: core.DPoPAllowed, PublicURL: dpopBase, Algorithms: []string{"HS256"}},
		{Mode: core.DPoPMode(7), PublicURL: dpopBase},
	} {
		if bad.Validate() == nil {
			t.Errorf("Validate accepted %+v", bad)
		}
	}
}

// A DPoP configuration that can be wrong is an error of NewDPoP, never a
// panic (WithDPoP used to panic on it): each mistake is named, and no
// checker is returned to be used by accident.
func TestNewDPoPReportsABadConfigurationAsAnError(t *testing.T) {
	for want, bad := range map[string]core.DPoPConfig{
		"PublicURL":       {Mode: core.DPoPAllowed},
		"base URL":        {Mode: core.DPoPRequired, PublicURL: "api.example.com"},
		"not \"https":     {Mode: core.DPoPAllowed, PublicURL: dpopBase + "?x=1"},
		"HS256":           {Mode: core.DPoPAllowed, PublicURL: dpopBase, Algorithms: []string{"HS256"}},
		"DPoPMode 7":      {Mode: core.DPoPMode(7), PublicURL: dpopBase},
		"MaxProofRSABits": {Mode: core.DPoPAllowed, PublicURL: dpopBase, MaxProofRSABits: 1024},
	} {
		d, err := core.NewDPoP(bad)
		if err == nil || d != nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NewDPoP(%+v) = %v, %v; want no checker and an error naming %q", bad, d, err, want)
		}
	}
	if d, err := core.NewDPoP(core.DPoPConfig{Mode: core.DPoPRequired, PublicURL: dpopBase}); err != nil || d == nil {
		t.Fatalf("NewDPoP refused a good configuration: %v", err)
	}
}

// WithDPoP(nil) is the nil of a NewDPoP whose error went unchecked: it
// panics at once, naming the cause, rather than leave DPoP off where
// DPoPRequired was meant (which would admit Bearer tokens).
func TestWithDPoPOfNilPanicsAtConstruction(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "NewDPoP") {
			t.Fatalf("WithDPoP(nil): recovered %v, want a panic naming NewDPoP", r)
		}
	}()
	core.WithDPoP(nil)
}

// 1,000 distinct proofs at once are all accepted; the same proof sent
// twice at once is accepted once.
func TestDPoPReplayCacheUnderConcurrency(t *testing.T) {
	e := newDPoPEnv(t, core.DPoPConfig{Mode: core.DPoPAllowed})
	tok := e.boundToken(e.key)
	url := dpopBase + "/api/me"
	proofs := make([]string, 1000)
	for i := range proofs {
		proofs[i] = e.key.proof(t, "GET", url, tok, nil, nil)
	}
	var wg sync.WaitGroup
	var ok atomic.Int64
	for i := range proofs {
		for range 2 { // each proof twice
			wg.Add(1)
			go func() {
				defer wg.Done()
				if e.send("GET", "/api/me", "DPoP", tok, proofs[i]).Code == 200 {
					ok.Add(1)
				}
			}()
		}
	}
	wg.Wait()
	if ok.Load() != int64(len(proofs)) {
		t.Fatalf(
			"%d requests admitted for %d distinct proofs each sent twice, want exactly %d",
			ok.Load(),
			len(proofs),
			len(proofs),
		)
	}
	c := core.NewMemoryReplayCache(replayCapacity, nil)
	for i := range 2 * replayCapacity {
		if _, err := c.Seen(context.Background(), "k"+itoa(int64(i)), time.Now().Add(time.Hour)); err != nil {
			return // full of live entries: refused, not forgotten
		}
	}
	t.Fatal("a full replay cache took more live entries than its capacity")
}

const replayCapacity = 640

// Every key is remembered until its end, however many generations pass,
// and forgotten after it; room taken by expired keys comes back.
func TestMemoryReplayCacheRemembersEachKeyUntilItsEnd(t *testing.T) {
	var clk clock
	c := core.NewMemoryReplayCache(1<<16, clk.now)
	ctx := context.Background()
	type rec struct {
		key   string
		until time.Time
	}
	var recs []rec
	for step := range 300 { // five minutes, a key a second, lives 5 to 65 s
		now := clk.now()
		for _, r := range recs {
			if now.Before(r.until) {
				if seen, err := c.Seen(ctx, r.key, r.until); err != nil || !seen {
					t.Fatalf(
						"step %d: key %s, live for %v more, was forgotten (err %v)",
						step,
						r.key,
						r.until.Sub(now),
						err,
					)
				}
			}
		}
		r := rec{key: "k" + itoa(int64(step)), until: now.Add(time.Duration(5+step%61) * time.Second)}
		if seen, err := c.Seen(ctx, r.key, r.until); err != nil || seen {
			t.Fatalf("step %d: a new key: seen %v, err %v", step, seen, err)
		}
		recs = append(recs, r)
		clk.advance(time.Second)
	}
	clk.advance(2 * time.Minute)
	for _, r := range recs {
		if seen, _ := c.Seen(ctx, r.key, clk.now().Add(time.Minute)); seen {
			t.Fatalf("key %s is still seen after its end", r.key)
		}
	}

	full := core.NewMemoryReplayCache(replayCapacity, clk.now)
	n := 0
	for ; n < 2*replayCapacity; n++ {
		if _, err := full.Seen(ctx, "f"+itoa(int64(n)), clk.now().Add(time.Minute)); err != nil {
			break
		}
	}
	clk.advance(2*time.Minute + time.Second) // two generations: all expired
	if _, err := full.Seen(ctx, "f"+itoa(int64(n)), clk.now().Add(time.Minute)); err != nil {
		t.Fatalf("a cache full of expired keys refused a new one: %v", err)
	}
}

// A DPoP request whose token is in the cache and whose client is known
// allocates two objects beyond its proof's signature check: the admission
// (as every admitted request) and one buffer for the proof's decoded
// signature and claims.
func TestDPoPRequestAllocatesTwiceBeyondTheSignatureCheck(t *testing.T) {
	e := newDPoPEnv(t, core.DPoPConfig{Mode: core.DPoPAllowed})
	tok := e.boundToken(e.key)
	url := dpopBase + "/api/me"
	const runs = 50
	proofs := make([]string, 2*(runs+1)+1)
	for i := range proofs {
		proofs[i] = e.key.proof(t, "GET", url, tok, nil, nil)
	}
	if w := e.send("GET", "/api/me", "DPoP", tok, proofs[0]); w.Code != 200 { // caches the token and the header
		t.Fatalf("a valid proof: %d %s", w.Code, w.Body)
	}
	r := httptest.NewRequest("GET", "/api/me", nil)
	r.Header.Set("Authorization", "DPoP "+tok)
	dpop := []string{""}
	r.Header["Dpop"] = dpop
	w := httptest.NewRecorder()
	next := 1
	request := testing.AllocsPerRun(runs, func() {
		dpop[0] = proofs[next]
		next++
		e.h.ServeHTTP(w, r)
	})
	if w.Code != 200 {
		t.Fatalf("refused: %d %s", w.Code, w.Body)
	}
	pub := e.key.signer.Public()
	type signed struct {
		input string
		sig   []byte
	}
	var sigs []signed
	for _, p := range proofs[next:] {
		cut := strings.LastIndexByte(p, '.')
		sig, _ := b64u.DecodeString(p[cut+1:])
		sigs = append(sigs, signed{p[:cut], sig})
	}
	next = 0
	es256, _ := jose.LookupAlgorithm("ES256")
	check := testing.AllocsPerRun(runs, func() {
		s := sigs[next]
		next++
		if err := es256.Verify(s.input, s.sig, pub); err != nil {
			t.Fatal(err)
		}
	})
	if request-check != 2 {
		t.Fatalf(
			"a DPoP request allocates %v, its signature check alone %v: %v beyond it, want 2",
			request,
			check,
			request-check,
		)
	}
}

// withDPoP is core.WithDPoP over core.NewDPoP(cfg), failing tb on an error.
func withDPoP(tb testing.TB, cfg core.DPoPConfig) core.Option {
	tb.Helper()
	d, err := core.NewDPoP(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return core.WithDPoP(d)
}
