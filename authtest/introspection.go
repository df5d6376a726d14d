package authtest

import (
	"crypto/subtle"
	"net/http"
	"sync"
	"sync/atomic"
)

// The client credentials the introspection endpoint accepts
// (client_secret_basic). Exported so that development setups and tests
// need not repeat them.
const (
	IntrospectionClientID     = "dev-client"
	IntrospectionClientSecret = "dev-secret"
)

const introspectionPath = "/oauth2/introspect"

// IntrospectionURL returns the RFC 7662 introspection endpoint, also
// advertised in discovery as introspection_endpoint.
func (i *Issuer) IntrospectionURL() string { return i.url + introspectionPath }

// Revoke marks token as revoked: introspection answers {"active":false}
// for it from now on, while its signature and claims stay valid, which is
// exactly the revocation lag of local validation. Revocation is keyed by
// the token's jti, never by its string: an ES256 signature is malleable,
// so the same token has other valid encodings, and each of them is revoked
// too. A token that this issuer did not sign, or that has no jti, is
// ignored. See RevokeSession for every token of a login session.
func (i *Issuer) Revoke(token string) {
	claims, err := i.verify(token)
	if err != nil {
		return
	}
	if jti, ok := claims["jti"].(string); ok && jti != "" {
		i.revokedJTIs.Store(jti, struct{}{})
	}
}

// RevokeSession revokes every token that carries this sid, as a logout
// does: the tokens of a login session, including those minted later by
// refresh.
func (i *Issuer) RevokeSession(sid string) {
	if sid != "" {
		i.revokedSIDs.Store(sid, struct{}{})
	}
}

// isRevoked reports whether verified claims belong to a revoked token or
// session.
func (i *Issuer) isRevoked(claims map[string]any) bool {
	for _, r := range []struct {
		claim string
		set   *sync.Map
	}{{"jti", &i.revokedJTIs}, {"sid", &i.revokedSIDs}} {
		if v, ok := claims[r.claim].(string); ok && v != "" {
			if _, revoked := r.set.Load(v); revoked {
				return true
			}
		}
	}
	return false
}

// SetIntrospectionFault makes the introspection endpoint show f (the
// discovery and JWKS endpoints are not affected); FaultNone restores it.
func (i *Issuer) SetIntrospectionFault(f Fault) {
	if f < FaultNone || f > FaultGarbage {
		panic("authtest: unknown Fault")
	}
	i.introspectionFault.Store(int64(f))
}

// IntrospectionRequests returns how many requests reached the
// introspection endpoint, whatever their outcome.
func (i *Issuer) IntrospectionRequests() int64 { return i.introspectionRequests.Load() }

// IntrospectionClients returns how many requests to the introspection
// endpoint presented each client id (HTTP Basic), accepted or not; "" counts
// those that presented none. A test with several issuers checks with it
// that no issuer received another's credentials.
func (i *Issuer) IntrospectionClients() map[string]int64 {
	out := map[string]int64{}
	i.introspectionCallers.Range(func(id, n any) bool {
		out[id.(string)] = n.(*atomic.Int64).Load()
		return true
	})
	return out
}

// countIntrospectionClient records the client id a request presented.
func (i *Issuer) countIntrospectionClient(id string) {
	n, _ := i.introspectionCallers.LoadOrStore(id, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
}

// serveIntrospection answers RFC 7662: active when the token was signed by
// a published key, is unexpired, for this issuer and audience, and not
// revoked.
func (i *Issuer) serveIntrospection(w http.ResponseWriter, r *http.Request) {
	i.introspectionRequests.Add(1)
	if i.applyFault(Fault(i.introspectionFault.Load()), w, r) {
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "invalid_request", "use POST")
		return
	}
	id, secret, ok := r.BasicAuth()
	i.countIntrospectionClient(id)
	if !ok || subtle.ConstantTimeCompare([]byte(id+":"+secret), []byte(i.introspectionClient)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="introspection"`)
		writeError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxAuthBody)
	token := r.PostFormValue("token")
	if token == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "token is required")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	claims, err := i.verify(token)
	if err != nil || i.isRevoked(claims) {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"active":     true,
		"sub":        claims["sub"],
		"exp":        claims["exp"],
		"iss":        claims["iss"],
		"client_id":  id,
		"token_type": "Bearer",
	})
}
