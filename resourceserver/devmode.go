package resourceserver

import (
	"io"
	"net"
	"net/http"

	"github.com/identsphere/identsphere-go/internal/loopback"
)

// loopbackAddr keeps addr's port on 127.0.0.1. A development issuer logs
// in anyone with any password, so nothing that trusts it may be reachable
// from the network, whatever ADDR says.
func loopbackAddr(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil { // refused by problems before
		port = "0"
	}
	return net.JoinHostPort("127.0.0.1", port)
}

// loopbackHostsOnly answers 421 Misdirected Request to every request whose
// Host is not a loopback name or address. Listening on 127.0.0.1 keeps
// other machines out, but not a web page in the developer's browser: DNS
// rebinding points the attacker's name at 127.0.0.1, and the page's
// requests then arrive here with that name as Host. Nothing that trusts a
// log-in-as-anyone issuer may answer them.
func loopbackHostsOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopback.Host(r.Host) {
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusMisdirectedRequest)
			_, _ = io.WriteString(
				w,
				`{"error":"misdirected_request",`+
					`"error_description":"In dev mode only localhost, 127.0.0.0/8 and [::1] are served."}`+"\n",
			)
			return
		}
		next.ServeHTTP(w, r)
	})
}
