// Package authproxy serves an identity provider's login, signup, logout and
// refresh endpoints on the application's own origin. It forwards an
// allow-list of /v1/auth/ paths to the provider and passes the provider's
// cookies back to the browser, so that a browser application needs no
// cross-origin requests and its session cookies are first-party.
//
// It is separate from token validation (package core): a service that only
// checks access tokens does not need it, and it does not need core.
//
// The ten-line setup for net/http:
//
//	p, err := authproxy.New(authproxy.Config{
//		Issuer:        "https://id.example.com",
//		AllowedPaths:  []string{"/v1/auth/login", "/v1/auth/signup", "/v1/auth/logout", "/v1/auth/refresh"},
//		ForwardedHost: "app.example.com", // the public host, for links the provider mails out
//		CookieDomain:  "app.example.com", // the provider's cookies become the app's
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux.Handle("/v1/auth/", p) // the full path, prefix included
//
// Behind a load balancer, list its addresses in [Config.TrustedProxies]
// (and set [Config.PublicScheme] if it terminates TLS without saying so),
// or the provider sees the balancer's address for every user.
//
// # What is refused
//
// The proxy answers these itself, with a JSON body {"error",
// "error_description"} and without contacting the provider:
//
//	405 method_not_allowed  a method other than GET, HEAD, POST, PUT, PATCH,
//	                        DELETE, OPTIONS (CONNECT and TRACE among them), with Allow
//	403 forbidden           a cross-origin browser request with an unsafe method
//	                        (http.CrossOriginProtection): no login or logout CSRF
//	400 invalid_request     a path outside /v1/auth/ once decoded and cleaned, a
//	                        path with '%', '\', ';' or anything but visible ASCII,
//	                        a protocol upgrade, or forwarding headers from a
//	                        trusted proxy that cannot be resolved to one client
//	404 not_found           a path under /v1/auth/ that is not allowed
//	413 request_too_large   a body over Config.MaxBodyBytes
//
// # What the provider sees
//
// The cleaned path, the query, the body, and only the request headers of
// [DefaultRequestHeaders] and Config.ExtraRequestHeaders: an allow-list, so
// that no header through which a client could pose as another client or ask
// for another URL (X-Real-Ip, Cf-Connecting-Ip, X-Original-Url,
// X-Http-Method-Override and the next one someone invents) reaches the
// provider. The proxy states the client itself, in X-Forwarded-For,
// X-Forwarded-Proto, Forwarded and (Config.ForwardedHost) X-Forwarded-Host.
//
// Failures upstream are answered 504 gateway_timeout or 502 bad_gateway,
// never revealing the provider's address or the underlying error.
package authproxy
