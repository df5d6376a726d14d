package core

import (
	"context"
	"fmt"
	"strings"
)

// ProcedureRules says who may call each procedure of an RPC service (gRPC,
// Connect), by its full name, "/package.Service/Method". It denies by
// default: a procedure neither in Public nor in Rules is refused to every
// caller, so a method added to the service later is never open by accident.
// A name "/package.Service/*" covers every method of the service; an exact
// name wins over it.
type ProcedureRules struct {
	// Public procedures are served without a token: health checks,
	// reflection. A token they carry is not looked at.
	Public []string
	// Rules maps a procedure to the rules its caller's token must pass,
	// after the Authenticator's own; an empty list takes any valid token.
	Rules map[string][]Rule
}

// Procedures is a checked ProcedureRules, for AuthenticateProcedure.
type Procedures struct {
	methods  map[string]procedure // by full method name
	services map[string]procedure // by "/package.Service", from "/package.Service/*"
}

// procedure is who may call a procedure.
type procedure struct {
	public bool
	rules  []Rule
}

// NewProcedures checks cfg: every name a full method name (or a service's
// "/package.Service/*"), none both public and with rules or listed twice,
// no nil rule, and at least one procedure listed.
func NewProcedures(cfg ProcedureRules) (*Procedures, error) {
	p := &Procedures{methods: map[string]procedure{}, services: map[string]procedure{}}
	for _, name := range cfg.Public {
		if err := p.add(name, procedure{public: true}); err != nil {
			return nil, err
		}
	}
	for name, rules := range cfg.Rules {
		for i, r := range rules {
			if r == nil {
				return nil, fmt.Errorf("identsphere: ProcedureRules: rule %d of %q is nil", i, name)
			}
		}
		if err := p.add(name, procedure{rules: append([]Rule{}, rules...)}); err != nil {
			return nil, err
		}
	}
	if len(p.methods)+len(p.services) == 0 {
		return nil, fmt.Errorf("identsphere: ProcedureRules lists no procedure: every call would be refused")
	}
	return p, nil
}

// add checks name and records who may call it.
func (p *Procedures) add(name string, who procedure) error {
	service, method, ok := strings.Cut(strings.TrimPrefix(name, "/"), "/")
	if !ok || !strings.HasPrefix(name, "/") || service == "" || method == "" || strings.Contains(method, "/") ||
		strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r >= 0x7F }) {
		return fmt.Errorf(
			`identsphere: ProcedureRules: %q is not a full method name `+
				`such as "/package.Service/Method" or "/package.Service/*"`,
			name,
		)
	}
	m, key := p.methods, name
	switch {
	case method == "*":
		m, key = p.services, "/"+service
	case strings.Contains(method, "*"):
		return fmt.Errorf(`identsphere: ProcedureRules: %q: "*" stands only for a whole service's methods`, name)
	}
	if _, dup := m[key]; dup {
		return fmt.Errorf("identsphere: ProcedureRules: %q is listed twice", name)
	}
	m[key] = who
	return nil
}

// lookup returns who may call procedure name, and whether it is listed at
// all: by its own name, else by its service's.
func (p *Procedures) lookup(name string) (procedure, bool) {
	if who, ok := p.methods[name]; ok {
		return who, true
	}
	if i := strings.LastIndexByte(name, '/'); i > 0 {
		who, ok := p.services[name[:i]]
		return who, ok
	}
	return procedure{}, false
}

// errUnlistedProcedure refuses a procedure the rules do not list.
var errUnlistedProcedure = &PolicyError{Rule: CheckProcedure, Description: "this method is open to no caller"}

// AuthenticateProcedure is AuthenticateCall for a call of procedure
// c.Path under p: a public procedure passes without a token (ctx is
// returned as is, without claims), a procedure p does not list is refused
// (403 forbidden, CheckProcedure, reported like any refusal), and any
// other is authenticated with its rules.
func (a *Authenticator) AuthenticateProcedure(ctx context.Context, p *Procedures, c *Call) (context.Context, error) {
	who, listed := p.lookup(c.Path)
	switch {
	case !listed:
		a.refuseCall(ctx, c, errUnlistedProcedure, "")
		return nil, errUnlistedProcedure
	case who.public:
		return ctx, nil
	}
	return a.AuthenticateCall(ctx, c, who.rules...)
}
