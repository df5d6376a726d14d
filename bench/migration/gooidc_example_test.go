package migration_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/identsphere/identsphere-go/authtest"
)

// The README's "From go-oidc's IDTokenVerifier", before: NewProvider on the
// issuer's discovery and the verifier of one client id, in a sign-in
// callback's check of the ID token. It admits an access token (typ at+jwt)
// as an ID token, which the after (core's
// ExampleValidator_Verify_fromGoOIDC) refuses.
func Example_fromGoOIDC() {
	iss := authtest.NewIssuer(authtest.WithAudience("web-app")) // in production: your provider
	defer iss.Close()
	ctx, issuer := context.Background(), iss.URL()

	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		log.Fatal(err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: "web-app"})
	signIn := func(ctx context.Context, rawIDToken string) (string, error) {
		idToken, err := verifier.Verify(ctx, rawIDToken)
		if err != nil {
			return "", err
		}
		var c struct {
			Email         string `json:"email"`
			EmailVerified bool   `json:"email_verified"`
		}
		if err := idToken.Claims(&c); err != nil {
			return "", err
		}
		return fmt.Sprint(idToken.Subject, " ", c.Email, " ", c.EmailVerified), nil
	}

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
			who = "refused"
		}
		fmt.Printf("%s: %s\n", c.name, who)
	}
	// Output:
	// good: user-1 alice@example.com true
	// another client: refused
	// expired: refused
	// an access token: user-1  false
}
