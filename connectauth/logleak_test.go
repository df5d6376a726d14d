package connectauth_test

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/connectauth"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// The attack catalogue through unary and server-streaming procedures over
// each protocol, under authcases.LeakAudit: no refusal's message and no
// record carries a credential sent, nor any run of 16 of its characters;
// every refused call writes exactly one refusal record, with the status
// of its answer and, if any, the fingerprint of a token the call carried.
func TestCatalogueLogsNoTokenOverConnect(t *testing.T) {
	audit := authcases.NewLeakAudit(t)
	// A fresh Auth per call, so that the refusal log's rate limit (per
	// check) never hides a record: every refusal is written.
	var current atomic.Pointer[connectauth.Auth]
	swapped := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			current.Load().Middleware(next).ServeHTTP(w, r)
		})
	}
	kinds := map[string]struct {
		s    *server
		call func(s *server, ctx context.Context, protocol, procedure string, auth ...string) (string, error)
	}{
		"unary":         {serveUnary(t, swapped), (*server).call},
		"server stream": {serveServerStreams(t, swapped), (*server).callServerStream},
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for c := range authcases.NewTable(t, audit.Env, authcases.RPCCases).All() {
		path := c.Path
		if path == "" {
			path = authcases.PathMe
		}
		for kind, k := range kinds {
			for protocol := range protocols {
				name := kind + ", " + protocol + ": " + c.Name
				current.Store(newAuth(t, audit.Validator, core.WithRefusalLog(audit.Logger, slog.LevelWarn)))
				audited := audit.Begin(name, c)
				sub, err := k.call(k.s, ctx, protocol, path, c.Auth...)
				if checkAnswer(t, name, c, sub, err) {
					audited.Admitted(t)
				} else {
					audited.Refused(t, c.Status, err.Error())
				}
			}
		}
	}
	audit.Finish(t)
}
