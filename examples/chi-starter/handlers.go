package main

import (
	"encoding/json"
	"net/http"

	"github.com/identsphere/identsphere-go/chiauth"
)

// healthz reports that the process is up. It does not depend on the
// issuer: an issuer outage must not get every replica restarted.
func healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// profile is what me answers: who is calling, as the token says.
type profile struct {
	Subject string   `json:"sub"`
	Email   string   `json:"email"`
	Org     string   `json:"org"`
	Scopes  []string `json:"scopes,omitempty"`
}

// me answers every /api route with the caller's identity. Replace it with
// your own handlers; they find the claims the same way.
func me(w http.ResponseWriter, r *http.Request) {
	c, _ := chiauth.Claims(r) // always there: the middleware admitted r
	writeJSON(w, http.StatusOK, profile{Subject: c.Subject, Email: c.Email, Org: c.Org, Scopes: c.Scopes})
}

// notFound answers in the shape of every other error of this API, so that
// clients need one decoder.
func notFound(w http.ResponseWriter, _ *http.Request) {
	writeJSON(
		w,
		http.StatusNotFound,
		map[string]string{"error": "not_found", "error_description": "There is no such route."},
	)
}

// noStore marks every answer of the routes behind it, success or refusal,
// as meant for its caller alone: it depends on the caller's token, so no
// browser or shared cache may keep it (no-store), and a cache that keeps it
// anyway must tell callers apart by their credentials (Vary).
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Add("Vary", "Authorization, Cookie")
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The status is sent; an error here means the client went away.
	_ = json.NewEncoder(w).Encode(body)
}
