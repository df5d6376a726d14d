package authcases

import (
	"strconv"
	"strings"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// attackCases is the attack catalogue: hostile tokens and requests, each
// with the answer every adapter must give. Where the RFCs leave room, Why
// records the choice.
func attackCases(e *Env) []Case {
	iss := e.Issuer
	mint := func(claims authtest.Claims, opts ...authtest.MintOption) string { return iss.MustMint(claims, opts...) }
	valid := mint(nil)
	es := mint(nil, authtest.SignWith(testkeys.KIDEC))
	now := time.Now().Unix()
	raw := func(extra string) string { return signRaw(rsHeader, claimsJSON(e, extra)) }
	logoutClaims := authtest.Claims{
		"jti":    "logout-1",
		"sid":    "session-1",
		"events": map[string]any{core.BackChannelLogoutEvent: map[string]any{}},
	}

	cases := []Case{}
	for _, h := range HostileTokens() {
		cases = append(
			cases,
			invalidToken(
				"hostile: "+h.Name,
				h.Token,
				"the costliest tokens we can build; BenchmarkRefuseHostile measures refusing them",
			),
		)
	}
	cases = append(cases, []Case{
		// alg "none", every casing, with and without a signature part.
		invalidToken("alg none, no signature", unsigned(valid, "none")),
		invalidToken("alg None", unsigned(valid, "None")),
		invalidToken("alg NONE", unsigned(valid, "NONE")),
		invalidToken("alg nOnE", unsigned(valid, "nOnE")),
		invalidToken("alg none with a signature", withHeader(valid, `{"alg":"none","typ":"JWT"}`)),
		invalidToken("alg NONE with a signature", withHeader(valid, `{"alg":"NONE"}`)),

		// HMAC confusion: the public key used as an HMAC secret.
		invalidToken(
			"HS256 with the RSA public key PEM",
			mint(nil, authtest.SignWithSecret(rsaPublicPEM(), testkeys.KIDRSA)),
		),
		invalidToken(
			"HS384 with the RSA public key PEM",
			mint(nil, authtest.SignWithSecret(rsaPublicPEM(), testkeys.KIDRSA), authtest.WithAlg("HS384")),
		),
		invalidToken(
			"HS256 with the JWK n bytes",
			mint(nil, authtest.SignWithSecret(testkeys.RSA().N.Bytes(), testkeys.KIDRSA)),
		),
		invalidToken(
			"HS384 with the JWK n bytes",
			mint(nil, authtest.SignWithSecret(testkeys.RSA().N.Bytes(), testkeys.KIDRSA), authtest.WithAlg("HS384")),
		),
		invalidToken(
			"HS256 with the oct key published in the JWKS",
			mint(nil, authtest.SignWithSecret(HMACSecret(), HMACKID)),
			"a symmetric key in a public JWKS is known to everyone; it is dropped when the set is loaded",
		),
		invalidToken("RS256 header naming the oct key", withHeader(valid, `{"alg":"RS256","kid":"`+HMACKID+`"}`)),

		// Algorithm and key-type mismatches.
		invalidToken("PS256 on an RS256 key", mint(nil, authtest.WithAlg("PS256"))),
		invalidToken("RS384 on an RS256 key", mint(nil, authtest.WithAlg("RS384"))),
		invalidToken("ES384 header on a P-256 key", withHeader(es, `{"alg":"ES384","kid":"`+testkeys.KIDEC+`"}`)),
		invalidToken("EdDSA header on an RSA kid", withHeader(valid, `{"alg":"EdDSA","kid":"`+testkeys.KIDRSA+`"}`)),
		invalidToken("RS256 header on an EC kid", withHeader(es, `{"alg":"RS256","kid":"`+testkeys.KIDEC+`"}`)),

		// ECDSA signature forgeries.
		invalidToken("psychic signature r=s=0", withSignature(es, make([]byte, 64))),
		invalidToken("psychic signature r=s=n", withSignature(es, append(p256Order(), p256Order()...))),
		invalidToken("DER-encoded ECDSA signature", withSignature(es, derSignature(es))),
		invalidToken("ECDSA signature truncated", withSignature(es, make([]byte, 63))),

		// kid games.
		invalidToken("numeric kid", withHeader(valid, `{"alg":"RS256","kid":123}`)),
		invalidToken("huge kid", mint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), strings.Repeat("k", 8<<10)))),
		invalidToken(
			"path traversal kid",
			mint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), "../../../../etc/passwd")),
		),
		invalidToken("CRLF kid", mint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), "rsa-1\r\nX-Injected: 1")),
			"the kid is only ever a map key; it is never echoed, logged or used in a path"),
		invalidToken(
			"kid of the issuer, key of the attacker",
			mint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), testkeys.KIDRSA)),
		),

		// Key-carrying headers: never fetched, never trusted.
		invalidToken(
			"embedded jwk with the attacker's key",
			mint(
				nil,
				authtest.SignWithKey(testkeys.AttackerRSA(), ""),
				authtest.WithHeader(
					"jwk",
					map[string]string{"kty": "RSA", "n": b64bytes(testkeys.AttackerRSA().N.Bytes()), "e": "AQAB"},
				),
			),
			"jwk/jku/x5u/x5c are ignored rather than refused: keys come only from the issuer's JWKS, so a token "+
				"signed by the issuer may carry them harmlessly",
		),
		invalidToken(
			"jku to a server of the attacker",
			mint(
				nil,
				authtest.SignWithKey(testkeys.AttackerRSA(), "attacker-1"),
				authtest.WithHeader("jku", e.Trap.URL+"/jwks"),
			),
		),
		invalidToken(
			"x5u to a server of the attacker",
			mint(
				nil,
				authtest.SignWithKey(testkeys.AttackerRSA(), "attacker-2"),
				authtest.WithHeader("x5u", e.Trap.URL+"/cert"),
			),
		),
		invalidToken(
			"x5c with a self-signed chain",
			mint(
				nil,
				authtest.SignWithKey(testkeys.AttackerRSA(), ""),
				authtest.WithHeader("x5c", []string{"MIIBfake"}),
			),
		),

		// Processing headers this library does not implement.
		invalidToken(
			"b64 false",
			mint(nil, authtest.WithHeader("b64", false), authtest.WithHeader("crit", []string{"b64"})),
		),
		invalidToken("cty JWT (nested token)", mint(nil, authtest.WithHeader("cty", "JWT")),
			"nested JWTs are not supported; refusing beats verifying only the outer layer"),
		invalidToken("zip DEF", mint(nil, authtest.WithHeader("zip", "DEF"))),
		invalidToken("typ of a logout token", mint(nil, authtest.WithHeader("typ", "logout+jwt")),
			"RFC 8725 explicit typing: a token of another kind is not an access token"),
		invalidToken(
			"logout token without typ",
			mint(logoutClaims, authtest.WithHeader("typ", nil)),
			"a logout token needs no typ and may carry our audience and an exp; its events claim gives it away (a "+
				"Security Event Token grants nothing)",
		),
		invalidToken("logout token typed JWT", mint(logoutClaims)),
		invalidToken(
			"security event typed at+jwt",
			mint(
				authtest.Claims{"client_id": "app", "events": map[string]any{"urn:example:event": map[string]any{}}},
				authtest.WithHeader("typ", "at+jwt"),
			),
		),

		// Shapes.
		invalidToken("two parts", stripSignature(valid)[:len(stripSignature(valid))-1]),
		invalidToken("four parts", valid+".x"),
		invalidToken("a million dots", strings.Repeat(".", 1_000_000), "refused by the 16 KiB cap before any parsing"),
		invalidToken("empty header segment", "."+strings.SplitN(valid, ".", 2)[1]),
		invalidToken("empty payload segment", strings.Split(valid, ".")[0]+".."+strings.Split(valid, ".")[2]),
		invalidToken("header not JSON", withHeader(valid, `alg=RS256`)),
		invalidToken("header is an array", withHeader(valid, `["RS256"]`)),
		invalidToken("header with trailing garbage", signRaw(rsHeader+`x`, claimsJSON(e, ""))),
		invalidToken("payload not JSON", signRaw(rsHeader, `sub=admin`)),
		invalidToken("payload is an array", signRaw(rsHeader, `[`+claimsJSON(e, "")+`]`)),
		invalidToken("payload with trailing garbage", signRaw(rsHeader, claimsJSON(e, "")+`{"sub":"admin"}`),
			"encoding/json's Decoder would stop after the first object; the strict reader refuses the rest"),
		invalidToken("payload nested too deep", raw(`,"x":`+strings.Repeat("[", 1000)+strings.Repeat("]", 1000))),
		invalidToken("payload with invalid UTF-8", raw(`,"name":"`+"\xff\xfe"+`"`)),
		invalidToken(
			"duplicate sub",
			raw(`,"sub":"admin"`),
			"duplicates are refused: parsers disagree on which one wins",
		),
		invalidToken("duplicate iss", raw(`,"iss":"https://evil.example"`)),
		invalidToken(
			"case-variant ISS only",
			signRaw(rsHeader, `{"ISS":"`+iss.URL()+`","aud":"`+Audience+`","sub":"u","exp":`+itoa(now+3600)+`}`),
			"claim names are case-sensitive (RFC 7519): ISS is a custom claim, so iss is missing",
		),
		ok("case-variant ISS alongside iss", Case{Auth: bearer(raw(`,"ISS":"https://evil.example","SUB":"admin"`))}),

		// exp, nbf and iat values.
		invalidToken("exp zero", mint(authtest.Claims{"exp": 0})),
		invalidToken("exp as a string", mint(authtest.Claims{"exp": itoa(now + 3600)})),
		invalidToken(
			"exp 1e300",
			signRaw(rsHeader, `{"iss":"`+iss.URL()+`","aud":"`+Audience+`","sub":"u","exp":1e300}`),
			"an out-of-range NumericDate is malformed, not 'never expires'",
		),
		invalidToken(
			"exp -1e300",
			signRaw(rsHeader, `{"iss":"`+iss.URL()+`","aud":"`+Audience+`","sub":"u","exp":-1e300}`),
		),
		invalidToken(
			"exp null",
			signRaw(rsHeader, `{"iss":"`+iss.URL()+`","aud":"`+Audience+`","sub":"u","exp":null}`),
		),
		invalidToken("nbf far in the future", mint(authtest.Claims{"nbf": now + 86400})),
		invalidToken("iat as a string", mint(authtest.Claims{"iat": itoa(now)})),

		// aud shapes.
		invalidToken("aud with a non-string member", mint(authtest.Claims{"aud": []any{Audience, 1}}),
			"a malformed registered claim invalidates the token even if another member matches"),
		invalidToken("aud is an object", mint(authtest.Claims{"aud": map[string]string{"aud": Audience}})),
		invalidToken("aud is an empty array", mint(authtest.Claims{"aud": []string{}})),
		invalidToken("aud is a prefix of ours", mint(authtest.Claims{"aud": Audience[:5]})),

		// Size.
		{
			Name:      "oversized token in a cookie",
			Cookies:   []string{valid + strings.Repeat("A", core.DefaultMaxTokenSize)},
			Status:    401,
			Challenge: ChallengeToken,
			Code:      "invalid_token",
		},
		invalidToken("token just over the cap", valid[:16]+strings.Repeat("A", core.DefaultMaxTokenSize)),

		// Costly JSON: refused in time linear in the header, which is capped.
		invalidToken(
			"header with more members than any real token",
			withHeader(valid, `{"alg":"RS256","kid":"`+testkeys.KIDRSA+`"`+hostileMembers(40)+`}`),
			"a JOSE header with more than 32 members is refused: no real token needs them, "+
				"and each costs a duplicate check",
		),
		invalidToken(
			"header larger than 2 KiB",
			withHeader(
				valid,
				`{"alg":"RS256","kid":"`+testkeys.KIDRSA+`","x":"`+strings.Repeat("a", MaxHeaderSegment)+`"}`,
			),
			"real headers are a few hundred bytes; keys come from the JWKS, so x5c chains in a header are never needed",
		),
		ok("claims with thousands of members", Case{Auth: bearer(raw(hostileMembers(800)))}),
		invalidToken("claims with thousands of members and a late duplicate", raw(hostileMembers(800)+`,"m7":1`)),
		invalidToken(
			"claims with thousands of members and an escaped duplicate",
			raw(hostileMembers(800)+`,"\u006d799":1`),
		),

		// Request faults.
		invalidRequest("bearer with a quoted token", `Bearer "`+valid+`"`),
		invalidRequest("bearer token with a space inside", "Bearer "+valid[:20]+" "+valid[20:]),
		invalidRequest("two schemes in one header", "Basic dXNlcjpwYXNz, Bearer "+valid),
		invalidRequest("Bearer only with padding", "Bearer ==="),
		invalidRequest("Token scheme", "Token "+valid),
		{
			Name:    "valid header beside duplicated cookies",
			Auth:    []string{"Bearer " + valid},
			Cookies: []string{valid, valid},
			Status:  200,
			Why:     "the header wins, so cookies beside a valid header are not looked at",
		},
	}...)
	return cases
}

// hostileMembers returns n distinct members "m0".."m<n-1>", each preceded
// by a comma.
func hostileMembers(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(`,"m` + strconv.Itoa(i) + `":0`)
	}
	return b.String()
}

func b64bytes(b []byte) string { return b64url(string(b)) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
