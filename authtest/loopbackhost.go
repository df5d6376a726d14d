package authtest

import (
	"net/http"

	"github.com/identsphere/identsphere-go/internal/loopback"
)

// loopbackHostsOnly answers 421 to requests whose Host is not loopback
// (see WithLoopbackHostsOnly), before any endpoint or counter sees them.
func loopbackHostsOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !LoopbackHost(r.Host) {
			w.Header().Set("Cache-Control", "no-store")
			writeError(w, http.StatusMisdirectedRequest, "misdirected_request",
				"this development issuer serves only localhost, 127.0.0.0/8 and [::1]")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// LoopbackHost reports whether host, a Host header with or without a port,
// is localhost, an address in 127.0.0.0/8, or [::1]. A development server
// that trusts this issuer should answer nothing else: DNS rebinding sends a
// browser's requests to 127.0.0.1 under an attacker's name.
func LoopbackHost(host string) bool { return loopback.Host(host) }
