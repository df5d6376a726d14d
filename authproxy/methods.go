package authproxy

import "net/http"

// allowHeader is the Allow header of a 405: the methods the proxy forwards.
const allowHeader = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

// allowedMethod reports whether a request with this method is forwarded:
// the methods a login, signup, session or account API uses. OPTIONS stays
// for CORS preflights to origins added to CrossOriginProtection. Everything
// else is refused, CONNECT (a tunnel to the provider would escape every
// check made here) and TRACE (it echoes the request, cookies included, back
// to the caller) first among them. Methods are case-sensitive (RFC 9110
// section 9.1): "get" is not GET.
func allowedMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}
