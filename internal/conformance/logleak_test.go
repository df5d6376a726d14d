package conformance_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/identsphere/identsphere-go/internal/authcases"
)

// The whole attack catalogue through stdauth, chiauth and ginauth, under
// authcases.LeakAudit: no record carries a token sent, nor any run of 16 of
// its characters, nor any other credential; and every refused request
// writes exactly one refusal record, whose answer is the one sent and
// whose fingerprint, if any, is that of a token the request carried.
func TestCatalogueLogsNoToken(t *testing.T) {
	audit := authcases.NewLeakAudit(t)
	// A fresh Authenticator per case, so that the refusal log's rate limit
	// (per check) never hides a record: every refusal is written.
	type served struct {
		handler atomic.Pointer[http.Handler]
		url     string
	}
	servers := make([]*served, len(adapters))
	for i := range adapters {
		s := &served{}
		s.url = authcases.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			(*s.handler.Load()).ServeHTTP(w, r)
		})).URL
		servers[i] = s
	}

	for c := range authcases.NewTable(t, audit.Env, nil).All() {
		for i, a := range adapters {
			var reached atomic.Int64
			h := a.handler(audit.Validator, &reached)
			servers[i].handler.Store(&h)
			audited := audit.Begin(a.name+", "+c.Name, c)
			got := authcases.Do(t, servers[i].url, c)
			authcases.Check(t, c, got)
			if got.Status == http.StatusOK {
				audited.Admitted(t)
			} else {
				// The body is the case's, which Check compares.
				audited.Refused(t, got.Status, "")
			}
		}
	}
	audit.Finish(t)
}
