package core_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// The DPoP fuzz fixture is fixed, as FuzzVerify's is: the fixed test keys,
// a constant token, a constant clock and constant jtis make the same seeds
// in every fuzzing process (ECDSA signatures aside, whose signing inputs
// still match), so that a seed valid in the coordinator is valid in every
// worker.
const (
	fuzzDPoPPublicURL = "https://api.fuzz.example"
	fuzzDPoPPath      = "/api/orders"
	fuzzDPoPTarget    = fuzzDPoPPublicURL + fuzzDPoPPath
)

// fuzzDPoPNow is the clock of the Authenticator and the iat of the valid
// proofs.
var fuzzDPoPNow = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

// FuzzDPoPProof sends a real Authenticator (WithDPoP, server nonces, a
// DPoP-bound token that verifies) requests whose DPoP header is arbitrary:
// one header, two, or none; GET or POST; the token with the DPoP scheme or
// as Bearer. Properties: it never panics and answers within seconds; a
// request is admitted only when its proof's signing input is one the
// token's key signed for that method (a proof of this process's seeds, or
// its malleated twin), never twice for the same signing input (the replay
// cache), never with two DPoP headers or with the Bearer scheme; a valid
// seed seen for the first time is admitted, so that the property is not
// vacuous; a refusal is 400 or 401 with a JSON error among
// invalid_dpop_proof, use_dpop_nonce, invalid_token and invalid_request,
// whose challenge is DPoP's when the proof is at fault; DPoP-Nonce is sent
// exactly with use_dpop_nonce, and is the server's current nonce; and no
// answer holds the proof or a long part of it.
func FuzzDPoPProof(f *testing.F) {
	iss := authtest.NewIssuer(authcases.IssuerOptions()...)
	f.Cleanup(iss.Close)
	v := authcases.NewValidator(f, core.Config{
		Issuer:   fuzzIssuerID,
		JWKSURL:  iss.JWKSURL(),
		Audience: []string{authcases.Audience},
		Logger:   authcases.Discard(),
	})
	clock := func() time.Time { return fuzzDPoPNow }
	nonces, err := core.NewDPoPNonces([]byte("FuzzDPoPProof nonce secret, 32 bytes"), time.Hour, clock)
	if err != nil {
		f.Fatal(err)
	}
	nonce := nonces.Current()
	a := core.NewAuthenticator(v, withDPoP(f, core.DPoPConfig{
		Mode:      core.DPoPAllowed,
		PublicURL: fuzzDPoPPublicURL,
		Nonces:    nonces,
		Now:       clock,
	}))

	key := authtest.NewDPoPKey(f, authtest.DPoPKeySigner(testkeys.EC()))
	other := authtest.NewDPoPKey(f, authtest.DPoPKeySigner(testkeys.EC384()))
	token := iss.MustMint(
		authtest.BoundTo(
			key,
			authtest.Claims{"iss": fuzzIssuerID, "iat": fuzzIAT, "exp": fuzzEXP, "jti": "fuzz-dpop-token"},
		),
	)
	plain := iss.MustMint(
		authtest.Claims{"iss": fuzzIssuerID, "iat": fuzzIAT, "exp": fuzzEXP, "jti": "fuzz-dpop-plain"},
	)

	jti := 0
	// proof is a proof for token by key with the nonce, iat now and a
	// constant jti, changed by opts.
	proof := func(method, target string, opts ...authtest.ProofOption) string {
		jti++
		base := []authtest.ProofOption{
			authtest.WithProofIAT(fuzzDPoPNow),
			authtest.WithProofJTI(fmt.Sprintf("fuzz-%d", jti)),
			authtest.WithProofNonce(nonce),
		}
		return key.Proof(method, target, token, append(base, opts...)...)
	}
	// raw signs header.payload (raw JSON) with the key, for shapes the kit
	// cannot express: duplicated members, escapes, odd whitespace.
	jwkJSON, err := json.Marshal(key.PublicJWK())
	if err != nil {
		f.Fatal(err)
	}
	header := `{"typ":"dpop+jwt","alg":"ES256","jwk":` + string(jwkJSON) + `}`
	claims := func(method, extra string) string {
		jti++
		return fmt.Sprintf(`{"jti":"fuzz-%d","htm":%q,"htu":%q,"iat":%d,"ath":%q,"nonce":%q%s}`,
			jti, method, fuzzDPoPTarget, fuzzDPoPNow.Unix(), authtest.DPoPAccessTokenHash(token), nonce, extra)
	}
	raw := func(header, payload string) string {
		input := base64.RawURLEncoding.EncodeToString(
			[]byte(header),
		) + "." + base64.RawURLEncoding.EncodeToString(
			[]byte(payload),
		)
		sig, err := jwt.SigningMethodES256.Sign(input, testkeys.EC())
		if err != nil {
			f.Fatal(err)
		}
		return input + "." + base64.RawURLEncoding.EncodeToString(sig)
	}

	// valid[method] are the signing inputs that may be admitted for
	// method; mustAccept are the proofs minted here that must be admitted
	// the first time their signing input is seen.
	valid := map[string]map[string]bool{http.MethodGet: {}, http.MethodPost: {}}
	mustAccept := map[string]bool{}
	var seeds []string
	addValid := func(method, p string, must bool) {
		valid[method][fuzzSigningInput(p)] = true
		if must {
			mustAccept[p] = true
		}
		seeds = append(seeds, p)
	}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		addValid(method, proof(method, fuzzDPoPTarget), true)
		addValid(method, proof(method, fuzzDPoPTarget+"?page=2#top"), true)
		addValid(method, proof(method, "HTTPS://API.FUZZ.EXAMPLE:443"+fuzzDPoPPath), true)
		addValid(
			method,
			proof(method, fuzzDPoPTarget, authtest.WithProofClaims(authtest.Claims{"extra": []int{1, 2}})),
			true,
		)
		addValid(method, proof(method, fuzzDPoPTarget, authtest.WithProofHeader("x-extra", "1")), true)
		addValid(method, proof(method, fuzzDPoPTarget, authtest.WithProofIAT(fuzzDPoPNow.Add(-30*time.Second))), true)
		addValid(
			method,
			raw(" {\"typ\" : \"dpop+jwt\",\n\"alg\":\"ES256\",\"jwk\":"+string(jwkJSON)+"} ", claims(method, "")),
			true,
		)
		// Valid by JSON's rules; a strict reader may refuse them.
		addValid(method, raw(header, strings.Replace(claims(method, ""), `"htu"`, `"\u0068tu"`, 1)), false)
		addValid(method, raw(`{"typ":"DPoP+JWT","alg":"ES256","jwk":`+string(jwkJSON)+`}`, claims(method, "")), false)
		addValid(method, raw(header, claims(method, `,"iat2":1e300`)), false)
		// Equal after RFC 3986 percent-encoding normalisation (section
		// 6.2.2.2: %6F is the unreserved "o").
		addValid(
			method,
			proof(
				method,
				fuzzDPoPTarget,
				authtest.WithProofClaims(authtest.Claims{"htu": fuzzDPoPPublicURL + "/api/%6Frders"}),
			),
			false,
		)
		// Not the request's URI by RFC 3986 (a trailing slash names another
		// resource; %2F is not "/"): refused, so only seeds.
		seeds = append(
			seeds,
			proof(method, fuzzDPoPTarget, authtest.WithProofClaims(authtest.Claims{"htu": fuzzDPoPTarget + "/"})),
			proof(
				method,
				fuzzDPoPTarget,
				authtest.WithProofClaims(authtest.Claims{"htu": fuzzDPoPPublicURL + "/api%2Forders"}),
			),
		)
	}
	get := func(opts ...authtest.ProofOption) string { return proof(http.MethodGet, fuzzDPoPTarget, opts...) }
	validGet := seeds[0]
	h, rest, _ := strings.Cut(validGet, ".")
	payload, sig, _ := strings.Cut(rest, ".")
	enc := base64.RawURLEncoding.EncodeToString
	flip := func(s string) string {
		b := []byte(s)
		b[len(b)-1] ^= 1
		return string(b)
	}
	seeds = append(
		seeds,
		// Signed by the key, for another request or not valid.
		get(authtest.WithProofIAT(fuzzDPoPNow.Add(-2*core.DefaultDPoPProofMaxAge))),
		get(authtest.WithProofIAT(fuzzDPoPNow.Add(time.Minute))),
		get(authtest.WithProofClaims(authtest.Claims{"iat": nil})),
		get(authtest.WithProofClaims(authtest.Claims{"iat": "now"})),
		get(authtest.WithProofClaims(authtest.Claims{"iat": 1e300})),
		get(authtest.WithProofClaims(authtest.Claims{"iat": -1})),
		get(authtest.WithProofClaims(authtest.Claims{"jti": nil})),
		get(authtest.WithProofClaims(authtest.Claims{"jti": 7})),
		get(authtest.WithProofJTI(strings.Repeat("j", 300))),
		get(authtest.WithProofClaims(authtest.Claims{"htm": nil})),
		get(authtest.WithProofClaims(authtest.Claims{"htm": "get"})),
		get(authtest.WithProofClaims(authtest.Claims{"htu": nil})),
		get(authtest.WithProofClaims(authtest.Claims{"htu": fuzzDPoPPath})),
		get(authtest.WithProofClaims(authtest.Claims{"htu": "https://evil.example" + fuzzDPoPPath})),
		get(authtest.WithProofClaims(authtest.Claims{"htu": "http://api.fuzz.example" + fuzzDPoPPath})),
		get(authtest.WithProofClaims(authtest.Claims{"htu": "https://user@api.fuzz.example" + fuzzDPoPPath})),
		get(authtest.WithProofClaims(authtest.Claims{"htu": fuzzDPoPTarget + "//"})),
		get(authtest.WithProofClaims(authtest.Claims{"htu": fuzzDPoPPublicURL + "/API/orders"})),
		get(authtest.WithProofClaims(authtest.Claims{"htu": "https://api.fuzz.example." + fuzzDPoPPath})),
		get(authtest.WithProofClaims(authtest.Claims{"htu": fuzzDPoPPublicURL + "/api/../api/orders"})),
		get(authtest.WithProofClaims(authtest.Claims{"htu": []string{fuzzDPoPTarget}})),
		get(authtest.WithProofClaims(authtest.Claims{"ath": nil})),
		get(authtest.WithProofClaims(authtest.Claims{"ath": authtest.DPoPAccessTokenHash(plain)})),
		get(authtest.WithProofClaims(authtest.Claims{"nonce": nil})),
		get(authtest.WithProofNonce("stale")),
		get(authtest.WithProofClaims(authtest.Claims{"nonce": 1})),
		get(authtest.WithProofClaims(authtest.Claims{"pad": strings.Repeat("A", core.DefaultMaxDPoPProofSize)})),
		proof(http.MethodPut, fuzzDPoPTarget),
		key.Proof(
			http.MethodGet,
			fuzzDPoPTarget,
			plain,
			authtest.WithProofIAT(fuzzDPoPNow),
			authtest.WithProofNonce(nonce),
		),

		// The key and the algorithm.
		get(authtest.SignProofWithKey(other.Signer()), authtest.WithProofHeader("jwk", other.PublicJWK())),
		get(authtest.SignProofWithKey(other.Signer())),
		get(authtest.WithPrivateJWK()),
		get(authtest.WithProofHeader("jwk", nil)),
		get(authtest.WithProofHeader("jwk", key.Thumbprint())),
		get(authtest.WithProofHeader("jwk", map[string]string{"kty": "oct", "k": "c2VjcmV0"})),
		get(
			authtest.WithProofHeader(
				"jwk",
				map[string]any{"kty": "EC", "crv": "P-256", "x": key.PublicJWK()["x"], "y": key.PublicJWK()["x"]},
			),
		),
		get(authtest.WithProofAlg("none")),
		get(authtest.WithProofAlg("none"), authtest.WithProofHeader("alg", "NONE")),
		get(authtest.SignProofWithSecret([]byte(key.Thumbprint()))),
		get(authtest.SignProofWithSecret([]byte(key.PublicJWK()["x"].(string)))),
		get(authtest.WithProofHeader("alg", "ES384")),
		get(authtest.WithProofHeader("alg", "RS256")),
		get(authtest.WithProofHeader("alg", nil)),
		get(authtest.WithProofHeader("typ", "JWT")),
		get(authtest.WithProofHeader("typ", nil)),
		get(authtest.WithProofHeader("typ", 1)),
		get(authtest.WithProofHeader("kid", "k")),
		get(authtest.WithProofHeader("jku", "http://127.0.0.1:1/jwks")),
		get(authtest.WithProofHeader("x5u", "http://127.0.0.1:1/x5u")),
		get(authtest.WithProofHeader("x5c", []string{"MIIB"})),
		get(authtest.WithProofHeader("crit", []string{"htu"})),
		get(authtest.WithProofHeader("b64", false)),
		fuzzMust(
			authtest.NewDPoPKey(f, authtest.DPoPKeySigner(testkeys.RSA1024())).
				SignProof(
					http.MethodGet,
					fuzzDPoPTarget,
					token,
					authtest.WithProofIAT(fuzzDPoPNow),
					authtest.WithProofNonce(nonce),
				),
		),

		// Hand-made JSON, signed by the key.
		raw(`{"typ":"dpop+jwt","alg":"ES256","alg":"none","jwk":`+string(jwkJSON)+`}`, claims(http.MethodGet, "")),
		raw(
			`{"typ":"dpop+jwt","alg":"ES256","jwk":`+string(fuzzMust(json.Marshal(other.PublicJWK())))+
				`,"jwk":`+string(jwkJSON)+`}`,
			claims(http.MethodGet, ""),
		),
		raw(
			header,
			strings.Replace(claims(http.MethodGet, ""), `"htu"`, `"htu":"https://evil.example/api/orders","htu"`, 1),
		),
		raw(header, strings.Replace(claims(http.MethodGet, ""), `"htm"`, `"htm":"POST","htm"`, 1)),
		raw(header, claims(http.MethodGet, "")+" x"),
		raw(header, "\ufeff"+claims(http.MethodGet, "")),
		raw(header, "["+claims(http.MethodGet, "")+"]"),
		raw(header, claims(http.MethodGet, `,"x":`+strings.Repeat("[", 64)+strings.Repeat("]", 64))),
		raw(header, strings.Replace(claims(http.MethodGet, ""), `"fuzz-`, "\"fuzz-\xff", 1)),
		raw(
			`{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"\u0041","y":"B"}}`,
			claims(http.MethodGet, ""),
		),
		raw(
			`{"typ":"dpop+jwt","alg":"ES256","jwk":`+string(jwkJSON)+`,"x":"`+strings.Repeat("a", 8<<10)+`"}`,
			claims(http.MethodGet, ""),
		),
		raw("null", claims(http.MethodGet, "")),
		raw(header, "{}"),

		// Not signed by the key, or not a JWS.
		h+"."+payload+".",
		h+"."+payload+"."+flip(sig),
		h+"."+payload+"A."+sig,
		h+"."+payload+"."+sig+"=",
		h+"==."+payload+"."+sig,
		enc([]byte(`{"typ":"dpop+jwt","alg":"none","jwk":`+string(jwkJSON)+`}`))+"."+payload+".",
		strings.NewReplacer("-", "+", "_", "/").Replace(validGet)+"+/",
		validGet+".",
		"."+validGet,
		validGet+"\n",
		" "+validGet,
		validGet+","+validGet,
		strings.ToLower(validGet),
		token,
		"eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d",
		"a.b.c",
		"..",
		".",
		"",
		"a",
		strings.Repeat(".", 10000),
		strings.Repeat("A", core.DefaultMaxDPoPProofSize+1),
	)

	for _, s := range seeds {
		f.Add(s, uint8(1), false, false)
	}
	for _, s := range []string{seeds[0], seeds[1]} {
		f.Add(s, uint8(2), false, false) // two DPoP headers
		f.Add(s, uint8(1), true, false)  // a GET proof on POST
		f.Add(s, uint8(1), false, true)  // the bound token as Bearer
	}
	f.Add("", uint8(0), false, false) // no DPoP header

	admitted := map[string]bool{} // method + signing input
	codes := []string{"invalid_dpop_proof", "use_dpop_nonce", "invalid_token", "invalid_request"}
	f.Fuzz(func(t *testing.T, p string, headers uint8, post, bearer bool) {
		method := http.MethodGet
		if post {
			method = http.MethodPost
		}
		r := httptest.NewRequest(method, fuzzDPoPTarget+"?page=1", nil)
		scheme := "DPoP "
		if bearer {
			scheme = "Bearer "
		}
		r.Header.Set("Authorization", scheme+token)
		n := int(headers % 3)
		for range n {
			r.Header.Add("DPoP", p)
		}
		w := httptest.NewRecorder()
		start := time.Now()
		_, ok := a.Admit(w, r)
		// A bound for a hang or a cost out of all proportion, far above what
		// a busy machine takes (milliseconds), so it never fails by load.
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the answer took %v", d)
		}

		id := method + " " + fuzzSigningInput(p)
		if ok {
			switch {
			case n != 1 || bearer:
				t.Fatalf("admitted with %d DPoP headers, bearer %v: %q", n, bearer, p)
			case !valid[method][fuzzSigningInput(p)]:
				t.Fatalf("admitted a proof the key never signed for %s: %q", method, p)
			case admitted[id]:
				t.Fatalf("admitted a proof twice: %q", p)
			}
			admitted[id] = true
			return
		}
		if n == 1 && !bearer && mustAccept[p] && valid[method][fuzzSigningInput(p)] && !admitted[id] {
			t.Fatalf("refused a valid proof seen for the first time: %d %s", w.Code, w.Body)
		}
		if w.Code != http.StatusUnauthorized && w.Code != http.StatusBadRequest {
			t.Fatalf("status %d, want 400 or 401", w.Code)
		}
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || !slices.Contains(codes, body.Error) ||
			body.Description == "" {
			t.Fatalf("body %q", w.Body)
		}
		challenge := w.Header().Get("WWW-Authenticate")
		if (body.Error == "invalid_dpop_proof" || body.Error == "use_dpop_nonce") &&
			!strings.HasPrefix(challenge, `DPoP error="`+body.Error+`"`) {
			t.Errorf("%s answered with WWW-Authenticate %q", body.Error, challenge)
		}
		if got := w.Header().Get("DPoP-Nonce"); (body.Error == "use_dpop_nonce") != (got != "") ||
			got != "" && got != nonce {
			t.Errorf("%s answered with DPoP-Nonce %q (current %q)", body.Error, got, nonce)
		}
		answer := challenge + "\n" + w.Body.String()
		if len(p) > 16 && strings.Contains(answer, p) {
			t.Fatalf("the answer echoes the proof: %q", answer)
		}
		for seg := range strings.SplitSeq(p, ".") {
			if len(seg) >= 24 && strings.Contains(answer, seg) {
				t.Fatalf("the answer echoes part of the proof: %q", seg)
			}
		}
	})
}

func fuzzMust[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
