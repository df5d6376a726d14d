package resourceserver

import (
	"crypto/rand"
	"net/http"

	"github.com/identsphere/identsphere-go/core"
)

// RequestIDHeader carries the request id, in and out.
const RequestIDHeader = "X-Request-Id"

// withRequestID gives every request an id: the caller's X-Request-Id when
// it is 1 to 128 characters of A-Z, a-z, 0-9, '.', '_' and '-' (a load
// balancer's or a client's), else a new random one. The id is echoed in
// the answer's X-Request-Id and carried in the request's context
// (core.RequestID), where the access log and the library's refusal records
// find it: a user who reports a refusal quotes it, and the log says why.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = rand.Text()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(core.WithRequestID(r.Context(), id)))
	})
}

func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := range len(id) {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
