package conformance_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
	"go.uber.org/goleak"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	goleak.VerifyTestMain(m)
}

type adapter struct {
	name    string
	handler func(core.TokenVerifier, *atomic.Int64) http.Handler
}

var adapters = []adapter{
	{"stdauth", stdHandler},
	{"chiauth", chiHandler},
	{"ginauth", ginHandler},
}

// TestAdaptersAnswerAlike runs the whole table through every adapter: each
// answer must be the expected one, errors must be identical across
// adapters to the byte, and a refused request never reaches a handler.
func TestAdaptersAnswerAlike(t *testing.T) {
	env := authcases.NewCatalogueEnv(t)
	type served struct {
		url     string
		reached *atomic.Int64
	}
	servers := make([]served, len(adapters))
	for i, a := range adapters {
		var reached atomic.Int64
		servers[i] = served{authcases.Serve(t, a.handler(env.Validator, &reached)).URL, &reached}
	}
	for c := range authcases.NewTable(t, env, nil).All() {
		t.Run(c.Name, func(t *testing.T) {
			var first authcases.Answer
			for i, a := range adapters {
				before := servers[i].reached.Load()
				got := authcases.Do(t, servers[i].url, c)
				authcases.Check(t, c, got)
				calls := servers[i].reached.Load() - before
				if want := int64(c.Admissions()); calls != want {
					t.Errorf(
						"%s: handler reached %d times, want %d: a refused request never reaches it",
						a.name,
						calls,
						want,
					)
				}
				if i == 0 {
					first = got
					continue
				}
				if !sameAnswer(first, got) {
					t.Errorf("%s answered differently from %s:\n%+v\n%+v", a.name, adapters[0].name, got, first)
				}
			}
		})
	}
	if hits := env.Trap.Hits(); hits != 0 {
		t.Fatalf("a URL named in a token (jku, x5u) was fetched %d times", hits)
	}
}

// sameAnswer compares errors byte for byte; success bodies are compared as
// JSON, since each framework encodes its own handler's output.
func sameAnswer(a, b authcases.Answer) bool {
	if a.Status != b.Status || a.Challenge != b.Challenge || a.RetryAfter != b.RetryAfter {
		return false
	}
	if a.Status != http.StatusOK {
		return a.ContentType == b.ContentType && bytes.Equal(a.Body, b.Body)
	}
	var x, y any
	return json.Unmarshal(a.Body, &x) == nil && json.Unmarshal(b.Body, &y) == nil && reflect.DeepEqual(x, y)
}
