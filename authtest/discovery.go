package authtest

import (
	"net/http"
	"slices"
)

// discoveryDocument is the subset of OpenID Connect Discovery 1.0 metadata a
// relying party that validates access tokens needs.
type discoveryDocument struct {
	Issuer                           string   `json:"issuer"`
	JWKSURI                          string   `json:"jwks_uri"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypesSupported           []string `json:"response_types_supported"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	IntrospectionEndpoint            string   `json:"introspection_endpoint,omitempty"`
}

func (i *Issuer) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	if !i.discoveryRequest(w, r) {
		return
	}
	algs := i.publishedAlgorithms()
	writeJSON(w, http.StatusOK, discoveryDocument{
		Issuer:                           i.discoveryIssuer,
		JWKSURI:                          i.JWKSURL(),
		IDTokenSigningAlgValuesSupported: algs,
		ResponseTypesSupported:           []string{"code"},
		SubjectTypesSupported:            []string{"public"},
		IntrospectionEndpoint:            i.IntrospectionURL(),
	})
}

// discoveryRequest counts a discovery request and answers it itself (a
// fault, discovery turned off, a method other than GET) unless the caller
// should serve the document: then it returns true.
func (i *Issuer) discoveryRequest(w http.ResponseWriter, r *http.Request) bool {
	i.discoveryFetches.Add(1)
	if i.interceptFault(w, r) {
		return false
	}
	if !i.discovery {
		http.NotFound(w, r)
		return false
	}
	return allowGet(w, r)
}

// publishedAlgorithms lists the algorithms of the published keys, in their
// order, each once.
func (i *Issuer) publishedAlgorithms() []string {
	algs := []string{}
	for _, k := range i.publishedKeys() {
		if !slices.Contains(algs, k.alg) {
			algs = append(algs, k.alg)
		}
	}
	return algs
}
