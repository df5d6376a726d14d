package authcases

import (
	"net/http"
	"slices"

	"github.com/identsphere/identsphere-go/core"
)

// RPC transports (gRPC, Connect) run the table's procedures: the table's
// paths are full method names of a service "api" ("/api/me"), whose rules
// are RPCProcedures. A case applies to them when everything it sends has an
// RPC form: its Authorization values (as metadata), on one of the table's
// paths. Cookies, other headers and the DPoP and certificate routes are
// HTTP's; each RPC transport tests those bindings on its own.

// RPCProcedures are the rules of the table's procedures over RPC, as the
// HTTP adapters apply them to the table's routes; the health service is
// public.
func RPCProcedures() core.ProcedureRules {
	return core.ProcedureRules{
		Public: []string{"/grpc.health.v1.Health/*"},
		Rules: map[string][]core.Rule{
			PathMe:       nil,
			PathAdmin:    {core.RequireScopes("admin")},
			PathVerified: {core.RequireVerifiedEmail()},
		},
	}
}

// RPCCases returns the cases of the table that apply to RPC transports.
func RPCCases(cases []Case) []Case {
	var out []Case
	for _, c := range cases {
		if c.appliesToRPC() {
			out = append(out, c)
		}
	}
	return out
}

func (c Case) appliesToRPC() bool {
	path := c.Path
	if path == "" {
		path = PathMe
	}
	rpcPath := slices.Contains([]string{PathMe, PathAdmin, PathVerified}, path)
	if len(c.Cookies) > 0 || len(c.Header) > 0 || len(c.DPoP) > 0 || !rpcPath {
		return false
	}
	for _, a := range c.Auth {
		for i := 0; i < len(a); i++ {
			if a[i] < 0x20 || a[i] > 0x7E { // metadata values are printable ASCII
				return false
			}
		}
	}
	for _, b := range c.Before {
		if !b.appliesToRPC() {
			return false
		}
	}
	return true
}

// RPCCode names the code an RPC transport answers for c, as gRPC and
// Connect spell it: "ok", "unauthenticated" (401, and 400: a malformed
// authorization value), "permission_denied" (403), "unavailable" (503).
func (c Case) RPCCode() string {
	switch c.Status {
	case http.StatusOK:
		return "ok"
	case http.StatusForbidden:
		return "permission_denied"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	return "unauthenticated"
}
