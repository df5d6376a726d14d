package grpcauth_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// A unary cache hit costs the interceptor two allocations: the copy of the
// authorization metadata grpc-go hands out, and core's admission (the
// claims and the context that carries them).
func TestUnaryCacheHitAllocations(t *testing.T) {
	env := authcases.NewEnv(t)
	ic := newInterceptors(t, env.Validator).UnaryServerInterceptor()
	ctx := metadata.NewIncomingContext(
		context.Background(),
		metadata.Pairs("authorization", "Bearer "+env.Issuer.MustMint(nil)),
	)
	info := &grpc.UnaryServerInfo{FullMethod: authcases.PathMe}
	handler := func(ctx context.Context, _ any) (any, error) {
		if _, ok := core.ClaimsFrom(ctx); !ok {
			panic("the handler saw no claims")
		}
		return nil, nil
	}
	call := func() {
		if _, err := ic(ctx, nil, info, handler); err != nil {
			panic(err)
		}
	}
	call() // fills the cache
	if n := testing.AllocsPerRun(100, call); n != 2 {
		t.Fatalf("%v allocations per cache hit, want 2", n)
	}
}

// An uncached unary call allocates ten objects beyond the RSA check of its
// token's signature (crypto/rsa's own allocations, measured alongside, as the
// benchmarks' floor): golang-jwt's hasher, its copy of the signing input and
// the digest it sums; the copy of the authorization metadata grpc-go hands
// out, the decoded claims JSON and one copy of it that every string claim
// shares, the Claims, the aud and scope lists, and core's admission.
func TestUnaryUncachedAllocations(t *testing.T) {
	env := authcases.NewEnv(t, func(c *core.Config) { c.DisableCache = true })
	token := env.Issuer.MustMint(authtest.Claims{"email": "a@example.com", "org": "o", "scope": "read write"})
	ic := newInterceptors(t, env.Validator).UnaryServerInterceptor()
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+token))
	info := &grpc.UnaryServerInfo{FullMethod: authcases.PathMe}
	handler := func(ctx context.Context, _ any) (any, error) {
		if c, ok := core.ClaimsFrom(ctx); !ok || c.Subject == "" || len(c.Scopes) != 2 {
			panic("the handler saw no claims")
		}
		return nil, nil
	}
	call := func() {
		if _, err := ic(ctx, nil, info, handler); err != nil {
			panic(err)
		}
	}
	cut := strings.LastIndexByte(token, '.')
	sig, err := base64.RawURLEncoding.DecodeString(token[cut+1:])
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(token[:cut]))
	key := &testkeys.RSA().PublicKey // the key the fixture signs with by default
	signatureCheck := func() {
		if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
			panic(err)
		}
	}
	call()
	floor := testing.AllocsPerRun(100, signatureCheck)
	if n := testing.AllocsPerRun(100, call); n-floor != 10 {
		t.Fatalf("an uncached call allocates %v, its signature check alone %v: %v beyond it, want 10",
			n, floor, n-floor)
	}
}
