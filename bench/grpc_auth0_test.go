package bench

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/url"
	"testing"
	"time"

	jwtgrpc "github.com/auth0/go-jwt-middleware/v3/integrations/grpc"
	"github.com/auth0/go-jwt-middleware/v3/jwks"
	"github.com/auth0/go-jwt-middleware/v3/validator"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/bench/internal/fixture"
)

// auth0V3Interceptor is auth0/go-jwt-middleware v3's gRPC unary interceptor,
// set up as its README's production example for a JWKS-backed issuer: its
// own caching JWKS provider found by discovery from the issuer URL, and a
// validator pinned to RS256, the issuer and the audience. Like the other
// contestants it allows 30 s of clock skew and requires exp (v3 checks exp
// only when present; its documented way to require it is a registered-claims
// validator). v3 has no cache of verified tokens: every call verifies.
func auth0V3Interceptor(tb testing.TB) grpc.UnaryServerInterceptor {
	e := getEnv(tb)
	issuer, err := url.Parse(e.Issuer.URL())
	if err != nil {
		tb.Fatal(err)
	}
	provider, err := jwks.NewCachingProvider(jwks.WithIssuerURL(issuer))
	if err != nil {
		tb.Fatal(err)
	}
	v, err := validator.New(
		validator.WithKeyFunc(provider.KeyFunc),
		validator.WithAlgorithm(validator.RS256),
		validator.WithIssuer(e.Issuer.URL()),
		validator.WithAudience(fixture.Audience),
		validator.WithAllowedClockSkew(30*time.Second),
		validator.WithRegisteredClaimsValidator(func(c validator.RegisteredClaims) error {
			if c.Expiry == 0 {
				return errors.New("exp is required")
			}
			return nil
		}),
	)
	if err != nil {
		tb.Fatal(err)
	}
	ic, err := jwtgrpc.New(jwtgrpc.WithValidator(v))
	if err != nil {
		tb.Fatal(err)
	}
	return ic.UnaryServerInterceptor()
}

// auth0V3Subject is auth0V3Interceptor's unary call; the handler reads the
// subject with the package's GetClaims, as its doc shows.
func auth0V3Subject(tb testing.TB) subject {
	return unaryCall(tb, auth0V3Interceptor(tb), getEnv(tb).Token, func(ctx context.Context) bool {
		c, err := jwtgrpc.GetClaims[*validator.ValidatedClaims](ctx)
		return err == nil && c.RegisteredClaims.Subject != ""
	})
}

// TestAuth0V3GRPCRefuses checks that the auth0 v3 contestant is configured
// to refuse what the others refuse, so that its row is not cheaper for
// checking less: each bad token ends the call Unauthenticated before the
// handler, while the fixture token reaches it.
func TestAuth0V3GRPCRefuses(t *testing.T) {
	e := getEnv(t)
	ic := auth0V3Interceptor(t)
	call := func(md metadata.MD) error {
		ctx := metadata.NewIncomingContext(context.Background(), md)
		_, err := ic(ctx, nil, &grpc.UnaryServerInfo{FullMethod: grpcMethod}, func(context.Context, any) (any, error) {
			return "handled", nil
		})
		return err
	}
	if err := call(metadata.Pairs("authorization", "Bearer "+e.Token)); err != nil {
		t.Fatalf("the fixture token: %v", err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	mint := func(claims authtest.Claims, opts ...authtest.MintOption) string {
		tok, err := e.Issuer.Mint(claims, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	past := time.Now().Add(-time.Hour)
	for name, md := range map[string]metadata.MD{
		"no token":             {},
		"not a JWT":            metadata.Pairs("authorization", "Bearer not.a.jwt"),
		"expired":              bearerMD(mint(authtest.Claims{"iat": past, "exp": past.Add(time.Minute)})),
		"no exp":               bearerMD(mint(authtest.Claims{"exp": nil})),
		"another audience":     bearerMD(mint(authtest.Claims{"aud": "other-api"})),
		"another issuer":       bearerMD(mint(authtest.Claims{"iss": "https://other.example/"})),
		"another key, our kid": bearerMD(mint(nil, authtest.SignWithKey(other, fixture.KIDRSA))),
		"PS256, our key":       bearerMD(mint(nil, authtest.WithAlg("PS256"))),
		"alg none":             bearerMD(mint(nil, authtest.WithAlg("none"))),
		"HS256 keyed by our public key": bearerMD(mint(nil,
			authtest.SignWithSecret(publicKeyPEM(t, &e.Keys.RSA.PublicKey), fixture.KIDRSA))),
	} {
		if err := call(md); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s: got %v, want Unauthenticated", name, err)
		}
	}
}

func bearerMD(token string) metadata.MD { return metadata.Pairs("authorization", "Bearer "+token) }

// publicKeyPEM is pub as the PEM an algorithm-confusion attacker would use
// as an HMAC secret.
func publicKeyPEM(t *testing.T, pub *rsa.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
