package resourceserver_test

import (
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/resourceserver"
)

// An introspection endpoint configured without the client credentials it
// requires is refused at start, naming the variables and the fix, rather
// than found at the first fresh request (a 503); a secret without its
// client id too. The secret is never echoed.
func TestIntrospectionWithoutItsClientIsRefusedAtStart(t *testing.T) {
	const secret = "s3cret-client"
	for name, c := range map[string]struct {
		env  map[string]string
		want string // empty: accepted
	}{
		"endpoint without client": {
			env: map[string]string{"IDENTSPHERE_INTROSPECTION_URL": "https://id.example.com/introspect"},
			want: "IDENTSPHERE_INTROSPECTION_URL is set but " +
				"IDENTSPHERE_CLIENT_ID and IDENTSPHERE_CLIENT_SECRET are empty",
		},
		"endpoint without secret": {
			env: map[string]string{
				"IDENTSPHERE_INTROSPECTION_URL": "https://id.example.com/introspect",
				"IDENTSPHERE_CLIENT_ID":         "orders-api",
			},
			want: "IDENTSPHERE_INTROSPECTION_URL is set but IDENTSPHERE_CLIENT_SECRET is empty",
		},
		"endpoint without client id": {
			env: map[string]string{
				"IDENTSPHERE_INTROSPECTION_URL": "https://id.example.com/introspect",
				"IDENTSPHERE_CLIENT_SECRET":     secret,
			},
			want: "IDENTSPHERE_CLIENT_SECRET is set but IDENTSPHERE_CLIENT_ID is empty",
		},
		"secret without client id": {
			env:  map[string]string{"IDENTSPHERE_CLIENT_SECRET": secret},
			want: "IDENTSPHERE_CLIENT_SECRET is set but IDENTSPHERE_CLIENT_ID is empty",
		},
		"endpoint with its client": {
			env: map[string]string{
				"IDENTSPHERE_INTROSPECTION_URL": "https://id.example.com/introspect",
				"IDENTSPHERE_CLIENT_ID":         "orders-api",
				"IDENTSPHERE_CLIENT_SECRET":     secret,
			},
		},
		"client id alone, for back-channel logout": {
			env: map[string]string{"IDENTSPHERE_CLIENT_ID": "orders-api"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			c.env["IDENTSPHERE_URL"] = "https://id.example.com"
			c.env["IDENTSPHERE_AUDIENCE"] = "orders-api"
			cfg, err := resourceserver.FromEnv(lookup(c.env))
			if c.want == "" {
				if err != nil {
					t.Fatalf("FromEnv refused a complete configuration: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("FromEnv: %v\nwant an error saying %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "set IDENTSPHERE_CLIENT_ID") {
				t.Errorf("the error does not say what to set: %v", err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the client secret: %v", err)
			}
			// A Config filled in code gets the same check from New, before
			// anything starts.
			if _, err := resourceserver.New(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("New: %v\nwant an error saying %q", err, c.want)
			}
		})
	}
}
