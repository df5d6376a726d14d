package core

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/identsphere/identsphere-go/internal/strictjson"
)

// ClaimPath names a claim, nested or not, one member name per level:
// ClaimPath{"roles"} (Microsoft Entra), ClaimPath{"realm_access", "roles"}
// (Keycloak), ClaimPath{"urn:zitadel:iam:org:project:roles"} (Zitadel),
// ClaimPath{"https://example.com/roles"} (an Auth0 namespaced claim). Names
// are compared byte for byte and may hold dots, colons and slashes.
type ClaimPath []string

// String joins the path with dots, for messages.
func (p ClaimPath) String() string { return strings.Join(p, ".") }

// Values returns the strings held at path: a string claim gives itself, an
// array its string members, an object its member names (Zitadel's roles).
// ok is false when the path leads nowhere or to another type. The claims
// are read with the same strict reader as the token: a nested object with
// a duplicate member leads nowhere.
func (c *Claims) Values(path ClaimPath) (values []string, ok bool) {
	if c == nil || len(path) == 0 {
		return nil, false
	}
	raw := c.raw
	for _, name := range path {
		next, found := member(raw, name)
		if !found {
			return nil, false
		}
		raw = next
	}
	switch {
	case len(raw) > 0 && raw[0] == '"':
		s, ok := strictjson.String(raw)
		return []string{s}, ok
	case len(raw) > 0 && raw[0] == '[':
		return strictjson.Strings(raw)
	case len(raw) > 0 && raw[0] == '{':
		var keys []string
		err := strictjson.Members(raw, func(key, _ []byte) error {
			keys = append(keys, string(key))
			return nil
		})
		return keys, err == nil
	}
	return nil, false
}

// member returns the raw value of the member name of the JSON object obj.
func member(obj []byte, name string) ([]byte, bool) {
	it := strictjson.NewIter(obj, 0)
	var found []byte
	for key, value, ok := it.Next(); ok; key, value, ok = it.Next() {
		if string(key) == name {
			found = value
		}
	}
	return found, it.Err() == nil && found != nil
}

// stringClaim returns a top-level claim that is a JSON string.
func (c *Claims) stringClaim(name string) (string, bool) {
	raw, ok := member(c.raw, name)
	if !ok {
		return "", false
	}
	return strictjson.String(raw)
}

// RequireClaim accepts tokens whose claim at path holds every one of
// values (see [Claims.Values]): roles, groups or permissions, wherever a
// provider puts them. A token that lacks one is refused with 403 forbidden,
// naming the path but not the values. It panics on an empty path or no
// values, a route nobody could pass.
//
//	core.RequireClaim(core.ClaimPath{"realm_access", "roles"}, "admin")  // Keycloak
//	core.RequireClaim(core.ClaimPath{"permissions"}, "read:orders")     // Auth0 RBAC
func RequireClaim(path ClaimPath, values ...string) Rule {
	if len(path) == 0 || len(values) == 0 || slices.Contains(path, "") {
		panic(fmt.Sprintf("identsphere: RequireClaim(%q, %q) can never pass", []string(path), values))
	}
	path = slices.Clone(path)
	values = slices.Clone(values)
	desc := "the token's " + path.String() + " claim does not hold what this route requires"
	return func(_ context.Context, c *Claims) error {
		have, _ := c.Values(path)
		for _, want := range values {
			if !slices.Contains(have, want) {
				return &PolicyError{Rule: CheckClaim, Description: desc}
			}
		}
		return nil
	}
}
