package conformance_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// minLeak is the shortest run of a token's characters that counts as a
// leak: long enough that it cannot occur in a record by chance (a kid, an
// algorithm, a word), short enough to catch a token cut in pieces.
const minLeak = 16

// syncBuffer is what a JSON slog handler writes to, from any goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// credentials returns what a case sends that must never be logged: each
// Authorization value, whole and its credentials after the scheme, each
// cookie, each DPoP proof, and the credential headers it sets (the others are Origin and
// Sec-Fetch-Site, which a refusal may well name).
func credentials(c authcases.Case) []string {
	var out []string
	for _, a := range c.Auth {
		if _, cred, ok := strings.Cut(a, " "); ok {
			out = append(out, strings.TrimSpace(cred))
		}
		out = append(out, a)
	}
	out = append(out, c.Cookies...)
	out = append(out, c.DPoP...)
	for k, v := range c.Header {
		if strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "Cookie") {
			out = append(out, v)
		}
	}
	return out
}

// windows indexes every minLeak-byte run of text.
func windows(text []byte) map[string]struct{} {
	idx := make(map[string]struct{}, len(text))
	for i := 0; i+minLeak <= len(text); i++ {
		idx[string(text[i:i+minLeak])] = struct{}{}
	}
	return idx
}

// leaks returns the first run of at least minLeak characters of secret
// found in the index, or "".
func leaks(idx map[string]struct{}, secret string) string {
	for i := 0; i+minLeak <= len(secret); i++ {
		if _, ok := idx[secret[i:i+minLeak]]; ok {
			return secret[i : i+minLeak]
		}
	}
	return ""
}

// The whole attack catalogue through stdauth, chiauth and ginauth, with
// every record the Validator and the middlewares write captured by a JSON
// handler at Debug: no record carries a token sent, nor any run of 16 of
// its characters, nor any other credential; and every refused request
// writes exactly one refusal record, whose answer is the one sent and
// whose fingerprint, if any, is that of a token the request carried.
func TestCatalogueLogsNoToken(t *testing.T) {
	env := authcases.NewCatalogueEnv(t)
	var out syncBuffer
	logger := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The catalogue's Validator, configured alike but logging to out.
	v := authcases.NewValidator(t, core.Config{Issuer: env.Issuer.URL(), Audience: []string{authcases.Audience}, Logger: logger})

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
		for _, cred := range credentials(c) {
			if len(cred) >= minLeak {
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
			recs := refusalRecords(t, out.Bytes()[before:])
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
			if status, _ := rec["status"].(float64); int(status) != got.Status || rec["error"] != c.Code && c.Code != "" {
				t.Errorf("%s, %s: record says %v %v, the answer was %d %q", a.name, c.Name, rec["status"], rec["error"], got.Status, c.Code)
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
	if refused == 0 || len(refusalRecords(t, logs)) != refused {
		t.Fatalf("%d refusal records for %d refused requests", len(refusalRecords(t, logs)), refused)
	}
	idx := windows(logs)
	for _, s := range secrets {
		if bytes.Contains(logs, []byte(s)) {
			t.Errorf("a record carries a credential that was sent: %.40q...", s)
		} else if run := leaks(idx, s); run != "" {
			t.Errorf("a record carries %q, %d characters of a credential that was sent", run, minLeak)
		}
	}
	t.Logf("%d records, %d refused requests, %d credentials checked", bytes.Count(logs, []byte("\n")), refused, len(secrets))
}

// refusalRecords returns the "request refused" records of a JSON log.
func refusalRecords(t *testing.T, logs []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("a record is not JSON: %q", sc.Text())
		}
		if rec["msg"] == "identsphere: request refused" {
			out = append(out, rec)
		}
	}
	return out
}
