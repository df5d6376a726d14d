package authcases

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

// MinLeak is the shortest run of a credential's characters that counts as
// a leak: long enough that it cannot occur in a record or a message by
// chance (a kid, an algorithm, a word), short enough to catch a token cut
// in pieces.
const MinLeak = 16

// LogBuffer is what a JSON slog handler writes to, from any goroutine.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Bytes returns a copy of what was written.
func (b *LogBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// Len is how many bytes were written.
func (b *LogBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// Credentials returns what c sends that must never be logged nor
// answered: each Authorization value, whole and its credentials after the
// scheme, each cookie, each DPoP proof, and the credential headers it
// sets.
func Credentials(c Case) []string {
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

// Windows indexes every MinLeak-byte run of text, for Leak.
func Windows(text []byte) map[string]struct{} {
	idx := make(map[string]struct{}, len(text))
	for i := 0; i+MinLeak <= len(text); i++ {
		idx[string(text[i:i+MinLeak])] = struct{}{}
	}
	return idx
}

// Leak returns the first run of MinLeak characters of secret found in the
// index of a text (Windows), or "".
func Leak(idx map[string]struct{}, secret string) string {
	for i := 0; i+MinLeak <= len(secret); i++ {
		if _, ok := idx[secret[i:i+MinLeak]]; ok {
			return secret[i : i+MinLeak]
		}
	}
	return ""
}

// RefusalRecords returns the "request refused" records of a JSON log.
func RefusalRecords(t testing.TB, logs []byte) []map[string]any {
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
