package authproxy

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
)

// refuse logs a failure and answers it.
func (p *Proxy) refuse(w http.ResponseWriter, r *http.Request, status int, code, description string) {
	p.log.LogAttrs(r.Context(), slog.LevelWarn, "authproxy: request failed",
		slog.String("path", p.clientPath(r)), slog.Int("status", status))
	writeError(w, status, code, description)
}

// clientPath is the path of r as the client sent it (for a request being
// forwarded, the cleaned one), cut short so that a client cannot flood
// the log with long paths.
func (p *Proxy) clientPath(r *http.Request) string {
	const maxLogPath = 256
	s := r.URL.EscapedPath()
	if r.URL.Host == p.target.Host && r.URL.Scheme == p.target.Scheme {
		s = strings.TrimPrefix(s, p.basePath)
	}
	if len(s) > maxLogPath {
		s = s[:maxLogPath] + "..."
	}
	return s
}

// writeError writes {"error": code, "error_description": description}.
// code and description are fixed strings chosen by this package, never
// text from the request or from an error.
func writeError(w http.ResponseWriter, status int, code, description string) {
	body, _ := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, description}) // cannot fail: two strings
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
