package conformance_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// The whole attack catalogue through stdauth, chiauth and ginauth, with
// every record the Validator and the middlewares write captured by a JSON
// handler at Debug: no record carries a token sent, nor any run of 16 of
// its characters, nor any other credential; and every refused request
// writes exactly one refusal record, whose answer is the one sent and
// whose fingerprint, if any, is that of a token the request carried.
func TestCatalogueLogsNoToken(t *testing.T) {
	env := authcases.NewCatalogueEnv(t)
	var out authcases.LogBuffer
	logger := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The catalogue's Validator, configured alike but logging to out.
	v := authcases.NewValidator(
		t,
		core.Config{Issuer: env.Issuer.URL(), Audience: []string{authcases.Audience}, Logger: logger},
	)

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

	cases := authcases.Cases(env)
	var secrets []string
	refused := 0
	for _, c := range cases {
		fingerprints := map[string]bool{}
		for _, cred := range authcases.Credentials(c) {
			if len(cred) >= authcases.MinLeak {
				secrets = append(secrets, cred)
			}
			fingerprints[core.TokenFingerprint(cred)] = true
		}
		for i, a := range adapters {
			var reached atomic.Int64
			h := a.handler(v, &reached)
			servers[i].handler.Store(&h)
			// A refusal is logged before it is answered: its record is
			// in once the answer is.
			before := len(out.Bytes())
			got := authcases.Do(t, servers[i].url, c)
			authcases.Check(t, c, got)
			recs := authcases.RefusalRecords(t, out.Bytes()[before:])
			if got.Status == http.StatusOK {
				if len(recs) != 0 {
					t.Errorf("%s, %s: an admitted request wrote %d refusal records", a.name, c.Name, len(recs))
				}
				continue
			}
			refused++
			if len(recs) != 1 {
				t.Errorf("%s, %s: %d refusal records, want 1", a.name, c.Name, len(recs))
				continue
			}
			rec := recs[0]
			if status, _ := rec["status"].(float64); int(status) != got.Status ||
				rec["error"] != c.Code && c.Code != "" {
				t.Errorf(
					"%s, %s: record says %v %v, the answer was %d %q",
					a.name,
					c.Name,
					rec["status"],
					rec["error"],
					got.Status,
					c.Code,
				)
			}
			if check, _ := rec["check"].(string); check == "" {
				t.Errorf("%s, %s: the record names no check: %v", a.name, c.Name, rec)
			}
			if fp, ok := rec["token_fingerprint"].(string); ok && !fingerprints[fp] {
				t.Errorf("%s, %s: fingerprint %s is of no token the request carried", a.name, c.Name, fp)
			}
		}
	}

	logs := out.Bytes()
	if refused == 0 || len(authcases.RefusalRecords(t, logs)) != refused {
		t.Fatalf("%d refusal records for %d refused requests", len(authcases.RefusalRecords(t, logs)), refused)
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
		"%d records, %d refused requests, %d credentials checked",
		bytes.Count(logs, []byte("\n")),
		refused,
		len(secrets),
	)
}
