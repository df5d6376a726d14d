package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/revocation/redisstore"
	"github.com/identsphere/identsphere-go/stdauth"
)

// Wiring one replica of a fleet: the Store is the Validator's
// RevocationChecker (every request, from memory) and the fresh routes'
// FreshnessChecker; a logout on any replica reaches all of them. (It needs
// a live Redis and issuer, so it is compiled, not run.)
func Example() {
	ctx := context.Background()
	store, err := redisstore.New(ctx, redisstore.Config{URL: "redis://:password@redis.internal:6379/0"})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	v, err := core.New(ctx, core.Config{
		Issuer:     "https://id.example.com",
		Audience:   []string{"orders-api"},
		Revocation: store,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	logout := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.ClaimsFrom(r.Context())
		err := store.RevokeSession(r.Context(), c.AdmittedBy, c.SessionID, c.ExpiresAt)
		switch {
		case errors.Is(err, redisstore.ErrPending):
			// In force here; the other replicas learn it when Redis is back.
			w.WriteHeader(http.StatusAccepted)
		case err != nil:
			http.Error(w, "logout failed", http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	mux := http.NewServeMux()
	mux.Handle("GET /api/me", stdauth.Middleware(v)(ok))
	mux.Handle("POST /api/transfer", stdauth.Middleware(v)(stdauth.RequireFresh(store)(ok)))
	mux.Handle("POST /logout", stdauth.Middleware(v)(logout))
	log.Fatal(http.ListenAndServe(":8080", mux))
}

// What a replica does while Redis cannot be reached (here, nothing listens
// on the port): New succeeds at once, a revocation is in force on this
// replica and queued, and fresh routes refuse until the replica is in sync.
func ExampleStore_RevokeSession_redisDown() {
	store, err := redisstore.New(context.Background(), redisstore.Config{
		URL:     "redis://127.0.0.1:1/0",
		Timeout: 200 * time.Millisecond,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	logout := &core.Claims{
		AdmittedBy: "https://id.example.com",
		Subject:    "user-1",
		SessionID:  "s-1",
		ExpiresAt:  time.Now().Add(time.Hour),
	}
	err = store.RevokeSession(context.Background(), logout.AdmittedBy, logout.SessionID, logout.ExpiresAt)
	fmt.Println("queued for Redis:", errors.Is(err, redisstore.ErrPending))
	revoked, _ := store.Revoked(context.Background(), logout)
	fmt.Println("refused on this replica:", revoked)
	fresh := store.CheckFresh(context.Background(), "", &core.Claims{Subject: "user-2", ExpiresAt: logout.ExpiresAt})
	fmt.Println("fresh route:", core.NewErrorResponse(fresh, core.DefaultRealm).Status)
	// Output:
	// queued for Redis: true
	// refused on this replica: true
	// fresh route: 503
}
