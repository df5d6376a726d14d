package authcases

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/identsphere/identsphere-go/core"
)

// MinLeak is the shortest run of a credential's characters that counts as
// a leak: long enough that it cannot occur in a record or a message by
// chance (a kid, an algorithm, a word), short enough to catch a token cut
// in pieces.
const MinLeak = 16

// LeakAudit is the log check of the attack catalogue, for any adapter or
// transport: Validator trusts the catalogue's issuer (Env) and logs to
// Logger, a JSON handler at Debug, as should the refusal log of whatever
// the catalogue runs through (core.WithRefusalLog(a.Logger, ...)). Begin
// each call, check it with Admitted or Refused once answered, and Finish
// once all are made.
type LeakAudit struct {
	Env       *Env
	Validator *core.Validator
	Logger    *slog.Logger

	out     logBuffer
	secrets map[string]bool // the credentials sent, of MinLeak characters or more
	refused int
}

// NewLeakAudit starts the catalogue's issuer and a Validator logging to
// the audit; both stop when the test ends.
func NewLeakAudit(t testing.TB) *LeakAudit {
	t.Helper()
	a := &LeakAudit{Env: NewCatalogueEnv(t), secrets: map[string]bool{}}
	a.Logger = slog.New(slog.NewJSONHandler(&a.out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The catalogue's Validator, configured alike but logging to the audit.
	a.Validator = NewValidator(
		t,
		core.Config{Issuer: a.Env.Issuer.URL(), Audience: []string{Audience}, Logger: a.Logger},
	)
	return a
}

// AuditedCall is one call of a case under a LeakAudit.
type AuditedCall struct {
	audit        *LeakAudit
	name         string
	c            Case
	before       int      // where the log stood when the call began
	sent         []string // its credentials of MinLeak characters or more
	fingerprints map[string]bool
}

// Begin notes a call of c about to be made, named name in failures: what
// it sends, and where the log stands.
func (a *LeakAudit) Begin(name string, c Case) *AuditedCall {
	call := &AuditedCall{audit: a, name: name, c: c, before: a.out.Len(), fingerprints: map[string]bool{}}
	for _, cred := range credentials(c) {
		if len(cred) >= MinLeak {
			call.sent = append(call.sent, cred)
			a.secrets[cred] = true
		}
		call.fingerprints[core.TokenFingerprint(cred)] = true
	}
	return call
}

// Admitted checks that the call, admitted, wrote no refusal record.
func (call *AuditedCall) Admitted(t testing.TB) {
	t.Helper()
	if recs := refusalRecords(t, call.audit.out.Bytes()[call.before:]); len(recs) != 0 {
		t.Errorf("%s: an admitted call wrote %d refusal records", call.name, len(recs))
	}
}

// Refused checks the call, refused with status: message, what its client
// was told besides the status (an RPC's status message; "" where the
// caller checks the answer itself), carries no run of MinLeak characters
// of a credential the call sent; the call wrote exactly one refusal
// record (a refusal is logged before it is answered, so it is in once the
// answer is), which says status and the case's error code, names its
// check and gives, if any, the fingerprint of a token the call carried.
func (call *AuditedCall) Refused(t testing.TB, status int, message string) {
	t.Helper()
	call.audit.refused++
	idx := windows([]byte(message))
	for _, s := range call.sent {
		if run := leak(idx, s); run != "" {
			t.Errorf("%s: the refusal's message carries %q, %d characters of a credential sent",
				call.name, run, MinLeak)
		}
	}
	recs := refusalRecords(t, call.audit.out.Bytes()[call.before:])
	if len(recs) != 1 {
		t.Errorf("%s: %d refusal records, want 1", call.name, len(recs))
		return
	}
	rec := recs[0]
	if st, _ := rec["status"].(float64); int(st) != status || rec["error"] != call.c.Code && call.c.Code != "" {
		t.Errorf("%s: record says %v %v, the answer was %d %q",
			call.name, rec["status"], rec["error"], status, call.c.Code)
	}
	if check, _ := rec["check"].(string); check == "" {
		t.Errorf("%s: the record names no check: %v", call.name, rec)
	}
	if fp, ok := rec["token_fingerprint"].(string); ok && !call.fingerprints[fp] {
		t.Errorf("%s: fingerprint %s is of no token the call carried", call.name, fp)
	}
}

// Finish checks the whole log: some calls were refused, each wrote one
// refusal record, and no record carries a credential that was sent, whole
// or any run of MinLeak of its characters.
func (a *LeakAudit) Finish(t testing.TB) {
	t.Helper()
	logs := a.out.Bytes()
	if n := len(refusalRecords(t, logs)); a.refused == 0 || n != a.refused {
		t.Fatalf("%d refusal records for %d refused calls", n, a.refused)
	}
	idx := windows(logs)
	for s := range a.secrets {
		if bytes.Contains(logs, []byte(s)) {
			t.Errorf("a record carries a credential that was sent: %.40q...", s)
		} else if run := leak(idx, s); run != "" {
			t.Errorf("a record carries %q, %d characters of a credential that was sent", run, MinLeak)
		}
	}
	records := bytes.Count(logs, []byte("\n"))
	t.Logf("%d records, %d refused calls, %d credentials checked", records, a.refused, len(a.secrets))
}

// logBuffer is what a JSON slog handler writes to, from any goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Bytes returns a copy of what was written.
func (b *logBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func (b *logBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// credentials returns what c sends that must never be logged nor
// answered: each Authorization value, whole and its credentials after the
// scheme, each cookie, each DPoP proof, and the credential headers it
// sets.
func credentials(c Case) []string {
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

// windows indexes every MinLeak-byte run of text, for leak.
func windows(text []byte) map[string]struct{} {
	idx := make(map[string]struct{}, len(text))
	for i := 0; i+MinLeak <= len(text); i++ {
		idx[string(text[i:i+MinLeak])] = struct{}{}
	}
	return idx
}

// leak returns the first run of MinLeak characters of secret found in the
// index of a text (windows), or "".
func leak(idx map[string]struct{}, secret string) string {
	for i := 0; i+MinLeak <= len(secret); i++ {
		if _, ok := idx[secret[i:i+MinLeak]]; ok {
			return secret[i : i+MinLeak]
		}
	}
	return ""
}

// refusalRecords returns the "request refused" records of a JSON log.
func refusalRecords(t testing.TB, logs []byte) []map[string]any {
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
