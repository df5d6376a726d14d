package authcases

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// The routes every adapter's handler serves for the table (see Routes).
const (
	PathMe       = "/api/me"       // GET and POST: any valid token
	PathAdmin    = "/api/admin"    // scope admin
	PathVerified = "/api/verified" // email_verified true
)

// Case is one request and the answer every adapter must give it.
type Case struct {
	Name    string
	Method  string   // default GET
	Path    string   // default PathMe
	Auth    []string // Authorization header values
	Cookies []string // access-token cookie values
	Header  map[string]string
	DPoP    []string // DPoP header values: proofs (RFC 9449)
	// Before are requests sent first, in order, each checked, to the same
	// server: the first use of a proof that the case replays.
	Before []Case

	Status    int
	Challenge string // exact WWW-Authenticate; "" means none
	Code      string // JSON "error"; "" means absent (success, missing token)
	// Description is a phrase the JSON "error_description" must hold, where
	// the reason matters (a refusal for another reason would hide a
	// regression); "" means any.
	Description string
	Nonce       string // exact DPoP-Nonce; "" means none
	// Why records the chosen answer where the RFCs leave room for debate.
	Why string
}

// Challenges of the answers.
const (
	ChallengeMissing = `Bearer realm="identsphere"`
	ChallengeRequest = `Bearer error="invalid_request"`
	ChallengeToken   = `Bearer error="invalid_token"`
	ChallengeAdmin   = `Bearer error="insufficient_scope", scope="admin"`
)

func ok(name string, c Case) Case {
	c.Name, c.Status = name, http.StatusOK
	return c
}

func invalidToken(name, token string, why ...string) Case {
	return Case{
		Name:      name,
		Auth:      []string{"Bearer " + token},
		Status:    401,
		Challenge: ChallengeToken,
		Code:      "invalid_token",
		Why:       strings.Join(why, " "),
	}
}

func invalidRequest(name string, auth ...string) Case {
	return Case{Name: name, Auth: auth, Status: 400, Challenge: ChallengeRequest, Code: "invalid_request"}
}

func bearer(tok string) []string { return []string{"Bearer " + tok} }

// Cases returns the table: the rules of the validator, then the attack
// catalogue. Tokens are minted now, with times relative to now, so build
// the table right before running it, and run a long one (every case through
// several transports) from a Table, which mints it again as it goes. Use it
// with NewCatalogueEnv.
func Cases(e *Env) []Case {
	iss := e.Issuer
	mint := func(claims authtest.Claims, opts ...authtest.MintOption) string { return iss.MustMint(claims, opts...) }
	now := time.Now()
	valid := mint(nil)

	cases := []Case{
		// Where the token comes from.
		ok("bearer RS256", Case{Auth: bearer(valid)}),
		ok("POST with bearer", Case{Method: http.MethodPost, Auth: bearer(valid)}),
		ok("scheme is case-insensitive", Case{Auth: []string{"bearer " + valid}}),
		ok("cookie", Case{Cookies: []string{valid}}),
		ok("header wins over a bad cookie", Case{Auth: bearer(valid), Cookies: []string{"garbage"}}),
		{Name: "no token", Status: 401, Challenge: ChallengeMissing},
		{Name: "empty cookie is no token", Cookies: []string{""}, Status: 401, Challenge: ChallengeMissing},
		invalidRequest("basic scheme", "Basic dXNlcjpwYXNz"),
		invalidRequest("empty bearer", "Bearer"),
		invalidRequest("two Authorization headers", "Bearer "+valid, "Bearer "+valid),
		invalidRequest("tab separator", "Bearer\t"+valid),
		invalidRequest("comma list", "Bearer "+valid+", Bearer "+valid),
		{
			Name:      "two cookies",
			Cookies:   []string{valid, valid},
			Status:    400,
			Challenge: ChallengeRequest,
			Code:      "invalid_request",
			Why: "duplicate cookies are how cookie tossing from a sibling " +
				"domain shows; refusing beats guessing which one is real",
		},
		{
			Name:      "bad header wins over a good cookie",
			Auth:      bearer("x.y.z"),
			Cookies:   []string{valid},
			Status:    401,
			Challenge: ChallengeToken,
			Code:      "invalid_token",
		},

		// Algorithms and keys.
		ok("ES256", Case{Auth: bearer(mint(nil, authtest.SignWith(testkeys.KIDEC)))}),
		ok("ES384", Case{Auth: bearer(mint(nil, authtest.SignWith(testkeys.KIDEC384)))}),
		ok("EdDSA", Case{Auth: bearer(mint(nil, authtest.SignWith(testkeys.KIDEd25519)))}),
		ok(
			"no kid, exactly one key fits",
			Case{Auth: bearer(mint(nil, authtest.SignWith(testkeys.KIDEd25519), authtest.WithHeader("kid", nil)))},
		),
		invalidToken("no kid, two keys fit", mint(nil, authtest.WithHeader("kid", nil)),
			"two RSA keys are published; trying each would let the token pick its key"),
		invalidToken(
			"HS256 signed with a guessable secret",
			mint(nil, authtest.SignWithSecret([]byte("secret"), testkeys.KIDRSA)),
		),
		invalidToken("RS384 not advertised by the issuer", mint(nil, authtest.WithAlg("RS384"))),
		invalidToken(
			"ES256 header on an RSA kid",
			mint(nil, authtest.SignWith(testkeys.KIDEC), authtest.WithHeader("kid", testkeys.KIDRSA)),
		),
		invalidToken(
			"attacker key under the issuer's kid",
			mint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), testkeys.KIDRSA)),
		),
		invalidToken("signature stripped", stripSignature(valid)),
		invalidToken("unknown kid", mint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), "no-such-kid"))),
		invalidToken("empty kid", mint(nil, authtest.WithHeader("kid", ""))),
		invalidToken("1024-bit RSA key", mint(nil, authtest.SignWith(KIDRSA1024))),
		invalidToken("crit header", mint(nil, authtest.WithHeader("crit", []string{"exp"}))),
		invalidToken("JWE shape", "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"),
		invalidToken("padding", padded(valid)),
		invalidToken(
			"standard base64 alphabet",
			strings.ReplaceAll(strings.ReplaceAll(valid, "-", "+"), "_", "/")+"+/",
		),
		invalidToken("too large", valid+"."+strings.Repeat("A", core.DefaultMaxTokenSize)),

		// Claims.
		invalidToken("exp missing", mint(authtest.Claims{"exp": nil})),
		invalidToken("expired", mint(authtest.Claims{"exp": now.Add(-time.Hour)})),
		ok("expired within the leeway", Case{Auth: bearer(mint(authtest.Claims{"exp": now.Add(-10 * time.Second)}))}),
		invalidToken(
			"expired just past the leeway",
			mint(authtest.Claims{"exp": now.Add(-core.DefaultLeeway - 10*time.Second)}),
		),
		invalidToken("nbf in the future", mint(authtest.Claims{"nbf": now.Add(time.Hour)})),
		ok("nbf within the leeway", Case{Auth: bearer(mint(authtest.Claims{"nbf": now.Add(10 * time.Second)}))}),
		invalidToken("iat in the future", mint(authtest.Claims{"iat": now.Add(time.Hour)})),
		ok("iat within the leeway", Case{Auth: bearer(mint(authtest.Claims{"iat": now.Add(10 * time.Second)}))}),
		invalidToken("iss wrong", mint(authtest.Claims{"iss": "https://evil.example"})),
		invalidToken("iss missing", mint(authtest.Claims{"iss": nil})),
		invalidToken(
			"iss with a trailing slash",
			mint(authtest.Claims{"iss": iss.URL() + "/"}),
			"iss is compared exactly (RFC 7519 StringOrURI comparison)",
		),
		invalidToken("aud wrong", mint(authtest.Claims{"aud": "other-api"})),
		invalidToken("aud missing", mint(authtest.Claims{"aud": nil})),
		invalidToken("aud wrong case", mint(authtest.Claims{"aud": strings.ToUpper(Audience)})),
		invalidToken("aud array without ours", mint(authtest.Claims{"aud": []string{"a", "b"}})),
		ok("aud array with ours", Case{Auth: bearer(mint(authtest.Claims{"aud": []string{"a", Audience}}))}),
		invalidToken("sub missing", mint(authtest.Claims{"sub": nil})),
		invalidToken("sub empty", mint(authtest.Claims{"sub": ""})),

		// Scopes.
		ok("scope admin", Case{Path: PathAdmin, Auth: bearer(mint(authtest.Claims{"scope": "read admin"}))}),
		ok("scp array admin", Case{Path: PathAdmin, Auth: bearer(mint(authtest.Claims{"scp": []string{"admin"}}))}),
		{
			Name:      "no scope",
			Path:      PathAdmin,
			Auth:      bearer(valid),
			Status:    403,
			Challenge: ChallengeAdmin,
			Code:      "insufficient_scope",
		},
		{
			Name:      "scope is a longer word",
			Path:      PathAdmin,
			Auth:      bearer(mint(authtest.Claims{"scope": "administrator"})),
			Status:    403,
			Challenge: ChallengeAdmin,
			Code:      "insufficient_scope",
		},
		{
			Name:      "invalid token on a scoped route",
			Path:      PathAdmin,
			Auth:      bearer("x.y.z"),
			Status:    401,
			Challenge: ChallengeToken,
			Code:      "invalid_token",
		},

		// Verified email.
		ok("email verified", Case{Path: PathVerified, Auth: bearer(mint(authtest.Claims{"email_verified": true}))}),
		forbidden("email not verified", PathVerified, mint(authtest.Claims{"email_verified": false})),
		forbidden("email_verified missing", PathVerified, mint(nil)),
		forbidden("email_verified is the string true", PathVerified, mint(authtest.Claims{"email_verified": "true"})),

		// Cookies are ambient credentials: no cross-origin unsafe requests.
		{Name: "cross-origin POST with cookie", Method: http.MethodPost, Cookies: []string{valid},
			Header: map[string]string{"Sec-Fetch-Site": "cross-site"}, Status: 403, Code: "forbidden"},
		{Name: "cross-origin POST with cookie (Origin only)", Method: http.MethodPost, Cookies: []string{valid},
			Header: map[string]string{"Origin": "https://evil.example"}, Status: 403, Code: "forbidden"},
		ok(
			"cross-origin POST with bearer",
			Case{
				Method: http.MethodPost,
				Auth:   bearer(valid),
				Header: map[string]string{"Sec-Fetch-Site": "cross-site"},
			},
		),
		ok(
			"cross-origin GET with cookie",
			Case{Cookies: []string{valid}, Header: map[string]string{"Sec-Fetch-Site": "cross-site"}},
		),
		ok(
			"same-origin POST with cookie",
			Case{
				Method:  http.MethodPost,
				Cookies: []string{valid},
				Header:  map[string]string{"Sec-Fetch-Site": "same-origin"},
			},
		),
	}
	return slices.Concat(cases, attackCases(e), keyCases(e), dpopCases(e), stepUpCases(e), resourceCases(e))
}

// Admissions is how many of the requests Do sends for c must reach the
// handler: c's own if it is admitted, and each of Before that is.
func (c Case) Admissions() int {
	n := 0
	if c.Status == http.StatusOK {
		n++
	}
	for _, b := range c.Before {
		n += b.Admissions()
	}
	return n
}

func forbidden(name, path, token string) Case {
	return Case{Name: name, Path: path, Auth: bearer(token), Status: 403, Code: "forbidden"}
}

// unsigned swaps a token's header for {"alg":alg} and drops the signature.
func unsigned(token, alg string) string {
	_, rest, _ := strings.Cut(token, ".")
	payload, _, _ := strings.Cut(rest, ".")
	return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"`+alg+`","typ":"JWT"}`)) + "." + payload + "."
}

func stripSignature(token string) string {
	return token[:strings.LastIndexByte(token, '.')+1]
}

// padded adds base64 padding to the header segment.
func padded(token string) string {
	h, rest, _ := strings.Cut(token, ".")
	return h + "==." + rest
}
