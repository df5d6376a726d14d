package core_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
)

// From go-oidc's IDTokenVerifier: oidc.NewProvider and
// provider.Verifier(&oidc.Config{ClientID: clientID}) become core.New with
// Profile IDTokens and the client id as the one audience; verifier.Verify
// becomes Validator.Verify, and idToken.Claims(&v) becomes the typed fields
// of *core.Claims or Claims.Decode. Unlike go-oidc, the keys load in the
// background and rotate without a restart, the verification is cached, and
// an access token (typ at+jwt) is refused as an ID token. The "before" runs
// on the same tokens in the bench module (bench/migration), so that this
// module does not depend on go-oidc.
func ExampleValidator_Verify_fromGoOIDC() {
	iss := authtest.NewIssuer(authtest.WithAudience("web-app")) // in production: your provider
	defer iss.Close()
	ctx, issuer := context.Background(), iss.URL()

	v, err := core.New(ctx, core.Config{
		Issuer:   issuer,
		Audience: []string{"web-app"}, // the client id, and only it
		Profile:  core.IDTokens,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	signIn := func(ctx context.Context, rawIDToken string) (string, error) {
		claims, err := v.Verify(ctx, rawIDToken)
		if err != nil {
			return "", err
		}
		verified := claims.EmailVerified != nil && *claims.EmailVerified // claims.Decode(&c) for any other claim
		return fmt.Sprint(claims.Subject, " ", claims.Email, " ", verified), nil
	}
	_ = v.WaitReady(ctx) // in tests; Verify answers core.ErrKeysUnavailable until the keys are in

	for _, c := range []struct {
		name    string
		claims  authtest.Claims
		options []authtest.MintOption
	}{
		{"good", authtest.Claims{"email": "alice@example.com", "email_verified": true}, nil},
		{"another client", authtest.Claims{"aud": "another-client"}, nil},
		{"expired", authtest.Claims{"exp": time.Now().Add(-time.Hour)}, nil},
		{"an access token", nil, []authtest.MintOption{authtest.WithHeader("typ", "at+jwt")}},
	} {
		who, err := signIn(ctx, iss.MustMint(c.claims, c.options...))
		if err != nil {
			who = "refused, " + string(core.CheckOf(err))
		}
		fmt.Printf("%s: %s\n", c.name, who)
	}

	claims, err := v.Verify(ctx, iss.MustMint(authtest.Claims{"locale": "fr"}))
	if err != nil {
		log.Fatal(err)
	}
	var extra struct {
		Locale string `json:"locale"`
	}
	if err := claims.Decode(&extra); err != nil { // any other claim, as idToken.Claims(&extra) read it
		log.Fatal(err)
	}
	fmt.Println("locale:", extra.Locale)
	// Output:
	// good: user-1 alice@example.com true
	// another client: refused, aud
	// expired: refused, exp
	// an access token: refused, typ
	// locale: fr
}
