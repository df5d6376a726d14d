package core_test

import (
	"context"
	"fmt"
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
// an access token (typ at+jwt) is refused as an ID token. The README shows
// the code it replaces.
func ExampleValidator_Verify_fromGoOIDC() {
	iss := authtest.NewIssuer() // in production: your provider
	defer iss.Close()
	const clientID = "web-app"

	v, err := core.New(context.Background(), core.Config{
		Issuer:   iss.URL(),          // was oidc.NewProvider(ctx, issuer)
		Audience: []string{clientID}, // was oidc.Config{ClientID: clientID}
		Profile:  core.IDTokens,
	})
	if err != nil {
		panic(err)
	}
	defer v.Close()
	_ = v.WaitReady(context.Background())

	rawIDToken := iss.MustMint(
		authtest.Claims{"aud": clientID, "email": "alice@example.com", "email_verified": true, "locale": "fr"},
	)
	claims, err := v.Verify(context.Background(), rawIDToken) // was verifier.Verify(ctx, rawIDToken)
	if err != nil {
		panic(err)
	}
	fmt.Println(claims.Subject, claims.Email, *claims.EmailVerified) // was idToken.Subject and idToken.Claims(&c)

	var extra struct {
		Locale string `json:"locale"`
	}
	if err := claims.Decode(&extra); err != nil { // any other claim, as idToken.Claims(&extra) read it
		panic(err)
	}
	fmt.Println(extra.Locale)

	for _, bad := range []string{
		iss.MustMint(authtest.Claims{"aud": "another-client"}),
		iss.MustMint(authtest.Claims{"aud": clientID, "exp": time.Now().Add(-time.Hour)}),
		iss.MustMint(authtest.Claims{"aud": clientID}, authtest.WithHeader("typ", "at+jwt")), // an access token
	} {
		_, err := v.Verify(context.Background(), bad)
		fmt.Println("refused:", core.CheckOf(err))
	}
	// Output:
	// user-1 alice@example.com true
	// fr
	// refused: aud
	// refused: exp
	// refused: typ
}
