package core_test

import (
	"log"
	"net/http"
	"time"

	"github.com/identsphere/identsphere-go/core"
)

// The application serves login, signup, logout and refresh on its own
// origin; the identity provider does the work and sets its cookies for the
// application's domain.
func ExampleNewAuthProxy() {
	proxy, err := core.NewAuthProxy(core.AuthProxyConfig{
		Issuer: "https://id.example.com",
		AllowedPaths: []string{
			"/v1/auth/login",
			"/v1/auth/signup",
			"/v1/auth/logout",
			"/v1/auth/refresh",
			"/v1/auth/oauth/", // every provider callback below it
		},
		ForwardedHost: "app.example.com",
		CookieDomain:  "app.example.com",
	})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/v1/auth/", proxy) // the full path, prefix included
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})

	srv := &http.Server{
		Addr:              ":8080",
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
	}
	log.Fatal(srv.ListenAndServe())
}
