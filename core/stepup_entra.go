package core

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
)

// RequireEntraAuthContext accepts Microsoft Entra ID tokens whose acrs
// claim (the Conditional Access authentication contexts the user
// satisfied, such as "c1") holds one of ids. Others are refused with
// Entra's claims challenge, which MSAL clients answer by signing the user
// in again under that context:
//
//	401 WWW-Authenticate: Bearer error="insufficient_claims", claims="<base64 of
//	    {"access_token":{"acrs":{"essential":true,"value":"c1"}}}>"
//
// Entra puts no acr in its access tokens for authentication contexts, so
// RequireStepUp does not fit it; this is the Entra recipe's step-up. The
// client must have declared the "cp1" client capability to receive acrs.
// It panics on no id, or an id that is not a valid acr value.
func RequireEntraAuthContext(ids ...string) Rule {
	if len(ids) == 0 {
		panic("identsphere: RequireEntraAuthContext needs at least one authentication context id")
	}
	for _, id := range ids {
		if id == "" || scopeTokens([]string{id}) != id {
			panic(fmt.Sprintf("identsphere: RequireEntraAuthContext: %q is not a valid authentication context id", id))
		}
	}
	ids = slices.Clone(ids)
	refusal := &StepUpError{
		Check:         CheckACRS,
		Description:   "this operation needs a stronger authentication (acrs)",
		ClaimsRequest: entraClaimsRequest(ids),
	}
	return func(_ context.Context, c *Claims) error {
		for _, id := range ids {
			if slices.Contains(c.acrs, id) {
				return nil
			}
		}
		e := *refusal
		return &e
	}
}

// entraClaimsRequest is the OpenID Connect claims request (section 5.5)
// asking for an access token whose acrs holds one of ids.
func entraClaimsRequest(ids []string) string {
	acrs := map[string]any{"essential": true}
	if len(ids) == 1 {
		acrs["value"] = ids[0]
	} else {
		acrs["values"] = ids
	}
	b, _ := json.Marshal(map[string]any{"access_token": map[string]any{"acrs": acrs}})
	return string(b)
}

// base64Std is the standard base64 encoding, with padding, that Entra's
// claims parameter uses.
func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
