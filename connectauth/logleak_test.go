package connectauth_test

import (
	"bytes"
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
// each protocol, with every record the Validator and the refusal log
// write captured by a JSON handler at Debug: no refusal's message and no
// record carries a credential sent, nor any run of 16 of its characters;
// every refused call writes exactly one refusal record, with the status
// of its answer and, if any, the fingerprint of a token the call carried.
func TestCatalogueLogsNoTokenOverConnect(t *testing.T) {
	env := authcases.NewCatalogueEnv(t)
	var out authcases.LogBuffer
	logger := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The catalogue's Validator, configured alike but logging to out.
	v := authcases.NewValidator(
		t,
		core.Config{Issuer: env.Issuer.URL(), Audience: []string{authcases.Audience}, Logger: logger},
	)

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
	var secrets []string
	refused := 0
	for _, c := range authcases.RPCCases(authcases.Cases(env)) {
		fingerprints := map[string]bool{}
		var mine []string
		for _, cred := range authcases.Credentials(c) {
			if len(cred) >= authcases.MinLeak {
				mine = append(mine, cred)
			}
			fingerprints[core.TokenFingerprint(cred)] = true
		}
		secrets = append(secrets, mine...)
		path := c.Path
		if path == "" {
			path = authcases.PathMe
		}
		for kind, k := range kinds {
			for protocol := range protocols {
				name := kind + ", " + protocol + ": " + c.Name
				auth, err := connectauth.New(v, connectauth.Config{Procedures: authcases.RPCProcedures(),
					Options: []core.Option{core.WithRefusalLog(logger, slog.LevelWarn)}})
				if err != nil {
					t.Fatal(err)
				}
				current.Store(auth)
				// A refusal is logged before it is answered: its
				// record is in once the answer is.
				before := out.Len()
				sub, err := k.call(k.s, ctx, protocol, path, c.Auth...)
				admitted := checkAnswer(t, name, c, sub, err)
				recs := authcases.RefusalRecords(t, out.Bytes()[before:])
				if admitted {
					if len(recs) != 0 {
						t.Errorf("%s: an admitted call wrote %d refusal records", name, len(recs))
					}
					continue
				}
				refused++
				idx := authcases.Windows([]byte(err.Error()))
				for _, s := range mine {
					if run := authcases.Leak(idx, s); run != "" {
						t.Errorf(
							"%s: the refusal's message carries %q, %d characters of a credential sent",
							name,
							run,
							authcases.MinLeak,
						)
					}
				}
				if len(recs) != 1 {
					t.Errorf("%s: %d refusal records, want 1", name, len(recs))
					continue
				}
				rec := recs[0]
				if status, _ := rec["status"].(float64); int(status) != c.Status ||
					rec["error"] != c.Code && c.Code != "" {
					t.Errorf(
						"%s: record says %v %v, the answer was %d %q",
						name,
						rec["status"],
						rec["error"],
						c.Status,
						c.Code,
					)
				}
				if check, _ := rec["check"].(string); check == "" {
					t.Errorf("%s: the record names no check: %v", name, rec)
				}
				if fp, ok := rec["token_fingerprint"].(string); ok && !fingerprints[fp] {
					t.Errorf("%s: fingerprint %s is of no token the call carried", name, fp)
				}
			}
		}
	}

	logs := out.Bytes()
	if refused == 0 || len(authcases.RefusalRecords(t, logs)) != refused {
		t.Fatalf("%d refusal records for %d refused calls", len(authcases.RefusalRecords(t, logs)), refused)
	}
	idx := authcases.Windows(logs)
	for _, s := range secrets {
		if bytes.Contains(logs, []byte(s)) {
			t.Errorf("a record carries a credential that was sent: %.40q...", s)
		} else if run := authcases.Leak(idx, s); run != "" {
			t.Errorf("a record carries %q, %d characters of a credential that was sent", run, authcases.MinLeak)
		}
	}
	t.Logf(
		"%d records, %d refused calls, %d credentials checked",
		bytes.Count(logs, []byte("\n")),
		refused,
		len(secrets),
	)
}
