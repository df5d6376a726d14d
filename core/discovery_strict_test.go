package core_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// A discovery document is read as strictly as a token: a member name in
// another case, or a member named twice, cannot choose the keys. Each
// document below points at a real key set, so a reader that took the
// smuggled member would load it and become ready.
func TestDiscoveryMembersCannotBeSmuggled(t *testing.T) {
	keys := authtest.NewIssuer(authcases.IssuerOptions()...)
	t.Cleanup(keys.Close)
	for name, doc := range map[string]func(iss string) string{
		"names in another case": func(iss string) string {
			return `{"ISSUER":"` + iss + `","Jwks_Uri":"` + keys.JWKSURL() + `"}`
		},
		"jwks_uri named twice": func(iss string) string {
			return `{"issuer":"` + iss + `","jwks_uri":"http://127.0.0.1:1/elsewhere",` +
				`"jwks_uri":"` + keys.JWKSURL() + `"}`
		},
		"invalid UTF-8": func(iss string) string {
			return `{"issuer":"` + iss + `","jwks_uri":"` + keys.JWKSURL() + `","x":"` + "\xff" + `"}`
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, doc(srv.URL))
			}))
			t.Cleanup(srv.Close)
			v := start(
				t,
				core.Config{Issuer: srv.URL, Audience: []string{authcases.Audience}, Logger: authcases.Discard()},
			)
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			defer cancel()
			err := v.WaitReady(ctx)
			if err == nil || !strings.Contains(err.Error(), "discovery") {
				t.Fatalf("WaitReady: %v; want the discovery document refused", err)
			}
		})
	}
}
