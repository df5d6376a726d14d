// Package resourceserver is the production wiring of a service whose API
// trusts IdentSphere (or any OpenID Connect) tokens, as a library: what the
// starters in examples/ wire, built in one call from the IDENTSPHERE_*
// environment (FromEnv) or from a Config filled in code.
//
// New builds the Validator and the Authenticator options (DPoP), the
// revocation store (memory, or Redis shared by every replica), the
// back-channel logout receiver, the introspection client of the fresh
// routes, the login proxy, the OpenTelemetry meter exported to Prometheus,
// the request-id and access-log middleware, a readiness handler that tells
// the truth about the keys and the revocation store, and the listeners.
// Every configuration mistake is reported at once, each naming its
// variable and the fix; the effective configuration (secrets redacted) is
// logged once. Serve serves your routes until its context ends, then shuts
// down gracefully; Close releases the rest.
//
// Your router keeps the routes; the Server hands it the parts:
//
//	cfg, err := resourceserver.FromEnv(os.LookupEnv)
//	if err != nil {
//		return err
//	}
//	srv, err := resourceserver.New(ctx, cfg)
//	if err != nil {
//		return err
//	}
//	defer srv.Close()
//	r := chi.NewRouter()
//	r.Get("/readyz", srv.Readiness().ServeHTTP)
//	r.Mount("/v1/auth", srv.LoginProxy())
//	r.With(chiauth.Middleware(srv.Validator(), srv.AuthOptions()...)).Get("/api/orders", orders)
//	return srv.Serve(ctx, r)
//
// Dev mode (IDENTSPHERE_URL unset) needs a development issuer, which this
// package does not link in: package devissuer starts one.
package resourceserver
