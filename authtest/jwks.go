package authtest

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// SetJWKS makes the JWKS endpoint serve exactly body, whatever the keys, so
// that tests can feed a client hostile or malformed sets: an "oct" key,
// {"keys":[]}, null, private key material, invalid JSON. A nil body goes
// back to serving the real set. The issuer keeps its own copy of body.
func (i *Issuer) SetJWKS(body []byte) {
	var b []byte
	if body != nil {
		b = bytes.Clone(body)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.jwksBody = b
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	i.jwksFetches.Add(1)
	if i.interceptFault(w, r) || !allowGet(w, r) {
		return
	}
	i.mu.RLock()
	body := i.jwksBody
	i.mu.RUnlock()
	if body == nil {
		set := jwkSet{Keys: []jwk{}}
		for _, k := range i.publishedKeys() {
			set.Keys = append(set.Keys, k.jwk)
		}
		var err error
		if body, err = json.Marshal(set); err != nil {
			writeError(w, http.StatusInternalServerError, "server_error", err.Error())
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}
