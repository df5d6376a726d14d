package authtest

import (
	"encoding/json"
	"net/http"
)

// errorBody is an OAuth 2.0 style error (RFC 6749 section 5.2).
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "authtest: encoding the response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError answers with an OAuth-style JSON error.
func writeError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, errorBody{Error: code, Description: description})
}

// allowGet answers 405 and reports false unless r is a GET or HEAD.
func allowGet(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	writeError(w, http.StatusMethodNotAllowed, "invalid_request", r.Method+" is not allowed here")
	return false
}
