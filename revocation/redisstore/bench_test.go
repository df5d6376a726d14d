package redisstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/redistest"
	"github.com/identsphere/identsphere-go/revocation/redisstore"
)

// BenchmarkRevoked measures the per-request cost of the Redis-backed
// Store's Revoked against core.Denylist's, both holding 10,000 denials:
// a token that is not revoked (the common case) and one that is.
//
//	go test -run '^$' -bench Revoked -benchmem ./revocation/redisstore/
func BenchmarkRevoked(b *testing.B) {
	const n = 10_000
	exp := time.Now().Add(time.Hour)
	deny := core.NewDenylist(nil)
	redis := redistest.Start(b)
	store, err := redisstore.New(context.Background(), redisstore.Config{URL: redis.URL(), Logger: discard()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close() })
	if err := store.WaitSynced(context.Background()); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		jti := "jti-" + strconv.Itoa(i)
		_ = deny.RevokeToken(testIssuer, jti, exp)
		if err := store.RevokeToken(context.Background(), testIssuer, jti, exp); err != nil {
			b.Fatal(err)
		}
	}
	if store.Len() != n || deny.Len() != n {
		b.Fatalf("held %d and %d denials, want %d", store.Len(), deny.Len(), n)
	}
	admitted := &core.Claims{
		AdmittedBy: testIssuer,
		Subject:    "user-1",
		ID:         "jti-other",
		SessionID:  "s-other",
		IssuedAt:   time.Now(),
		ExpiresAt:  exp,
	}
	refused := &core.Claims{
		AdmittedBy: testIssuer,
		Subject:    "user-1",
		ID:         "jti-4242",
		SessionID:  "s-other",
		IssuedAt:   time.Now(),
		ExpiresAt:  exp,
	}
	for _, checker := range []struct {
		name string
		c    core.RevocationChecker
	}{{"denylist", deny}, {"redisstore", store}} {
		for _, tc := range []struct {
			name   string
			claims *core.Claims
			want   bool
		}{{"not-revoked", admitted, false}, {"revoked", refused, true}} {
			b.Run(checker.name+"/"+tc.name, func(b *testing.B) {
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					if r, err := checker.c.Revoked(ctx, tc.claims); r != tc.want || err != nil {
						b.Fatalf("Revoked = %v, %v", r, err)
					}
				}
			})
		}
	}
}
