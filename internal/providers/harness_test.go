package providers_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/stdauth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start builds a Validator from a recipe and waits for its keys. The
// Logger is the only thing added to the recipe: it records warnings, and
// the test fails if there was any (a published key refused, a failed
// refresh), so a recipe passes only if the provider's key set loads whole.
func start(t *testing.T, cfg core.Config) *core.Validator {
	t.Helper()
	v, rec := newValidator(t, cfg)
	if w := rec.all(); len(w) > 0 {
		t.Fatalf("the validator warned while loading the keys: %s", strings.Join(w, "; "))
	}
	t.Cleanup(func() {
		if w := rec.all(); len(w) > 0 {
			t.Errorf("the validator warned: %s", strings.Join(w, "; "))
		}
	})
	return v
}

// newValidator builds a Validator from cfg with a Logger that records its
// warnings, and waits for its keys.
func newValidator(t *testing.T, cfg core.Config) (*core.Validator, *warnings) {
	t.Helper()
	rec := newWarnings()
	cfg.Logger = slog.New(rec)
	v, err := core.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("core.New refused the recipe: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := v.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	return v, rec
}

// warnings is a slog.Handler that keeps the messages of records at Warn
// and above, with their attributes; seen is closed at the first.
type warnings struct {
	seen chan struct{}
	once sync.Once
	mu   sync.Mutex
	msgs []string
}

func newWarnings() *warnings { return &warnings{seen: make(chan struct{})} }

func (w *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, b.String())
	w.once.Do(func() { close(w.seen) })
	return nil
}

func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }

func (w *warnings) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

// verdict is what a recipe must answer to one token: accepted (check "")
// or refused as invalid by the named check.
type verdict struct {
	name  string
	token string
	check core.Check
}

// verifyAll runs each token through v and returns the claims of the
// accepted ones, by name.
func verifyAll(t *testing.T, v *core.Validator, verdicts []verdict) map[string]*core.Claims {
	t.Helper()
	accepted := map[string]*core.Claims{}
	for _, vd := range verdicts {
		c, err := v.Verify(t.Context(), vd.token)
		if vd.check == "" {
			if err != nil {
				t.Errorf("%s: refused, want accepted: %v", vd.name, err)
			}
			accepted[vd.name] = c
			continue
		}
		var te *core.TokenError
		if !errors.As(err, &te) || te.Check != vd.check {
			t.Errorf("%s: %v, want refused by check %q", vd.name, err, vd.check)
		}
	}
	return accepted
}

// route is an API route behind stdauth: the middleware with the recipe's
// Validator, then guards, then a handler that answers 204.
func route(v core.TokenVerifier, guards ...func(http.Handler) http.Handler) http.Handler {
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := core.ClaimsFrom(r.Context()); !ok {
			http.Error(w, "no claims", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	for i := len(guards) - 1; i >= 0; i-- {
		h = guards[i](h)
	}
	return stdauth.Middleware(v)(h)
}

// answer is what a route said to one request.
type answer struct {
	status      int
	code        string // the error member of the JSON body
	description string
	challenge   string // WWW-Authenticate
}

// call sends token to h as a Bearer token.
func call(t *testing.T, h http.Handler, token string) answer {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/api/orders", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	a := answer{status: rec.Code, challenge: rec.Header().Get("WWW-Authenticate")}
	if rec.Code != http.StatusNoContent {
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("answer %d with a body that is not JSON: %v", rec.Code, err)
		}
		a.code, a.description = body.Error, body.Description
	}
	return a
}

// expect fails the test unless h answers token with status and code ("" for
// 204).
func expect(t *testing.T, name string, h http.Handler, token string, status int, code string) answer {
	t.Helper()
	a := call(t, h, token)
	if a.status != status || a.code != code {
		t.Errorf("%s: answered %d %q (%s), want %d %q", name, a.status, a.code, a.description, status, code)
	}
	return a
}
