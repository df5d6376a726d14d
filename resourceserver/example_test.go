package resourceserver_test

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"

	"github.com/identsphere/identsphere-go/chiauth"
	"github.com/identsphere/identsphere-go/ginauth"
	"github.com/identsphere/identsphere-go/resourceserver"
)

// runChi is a chi service with the starter's production setup: the README
// shows its body ("Production setup as a library"), and
// TestREADMEShowsTheExamples keeps the two equal.
func runChi(ctx context.Context, orders http.HandlerFunc) error {
	cfg, err := resourceserver.FromEnv(os.LookupEnv)
	if err != nil {
		return err
	}
	srv, err := resourceserver.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	r := chi.NewRouter()
	r.Get("/readyz", srv.Readiness().ServeHTTP)
	r.Mount("/v1/auth", srv.LoginProxy())
	r.With(chiauth.Middleware(srv.Validator(), srv.AuthOptions()...)).Get("/api/orders", orders)
	return srv.Serve(ctx, r)
}

// runGin is the same for a gin service.
func runGin(ctx context.Context, orders gin.HandlerFunc) error {
	cfg, err := resourceserver.FromEnv(os.LookupEnv)
	if err != nil {
		return err
	}
	srv, err := resourceserver.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	r := gin.New()
	r.GET("/readyz", gin.WrapH(srv.Readiness()))
	r.Any("/v1/auth/*path", gin.WrapH(srv.LoginProxy()))
	r.GET("/api/orders", ginauth.Middleware(srv.Validator(), srv.AuthOptions()...), orders)
	return srv.Serve(ctx, r)
}

// A chi service gets the starter's production setup (the validator, DPoP,
// Redis revocations, back-channel logout, the login proxy, metrics,
// request ids, access logs, readiness, graceful shutdown) from the
// IDENTSPHERE_* environment in the 14 lines of runChi. It stops on SIGTERM.
func Example_chi() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	orders := func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("[]")) }
	if err := runChi(ctx, orders); err != nil {
		log.Fatal(err)
	}
}

// The same for gin, in the 14 lines of runGin.
func Example_gin() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	orders := func(c *gin.Context) { c.JSON(http.StatusOK, []string{}) }
	if err := runGin(ctx, orders); err != nil {
		log.Fatal(err)
	}
}
