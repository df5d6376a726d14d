package conformance_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

var soakFlag = flag.Duration("soak", 0, "how long TestSoak runs (default 3s; also $SOAK_DURATION)")

// soakDuration is -soak, else $SOAK_DURATION, else 3s (1s with -short).
func soakDuration(t *testing.T) time.Duration {
	t.Helper()
	if *soakFlag > 0 {
		return *soakFlag
	}
	if s := os.Getenv("SOAK_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("SOAK_DURATION=%q: want a positive duration", s)
		}
		return d
	}
	if testing.Short() {
		return time.Second
	}
	return 3 * time.Second
}

// soakExpect is what a request's token entitles it to.
type soakExpect int

const (
	// expectOK: signed with a key the Validator loaded at start and that is
	// never unpublished. Nothing excuses a refusal: the key is cached, and
	// a failed or empty refresh keeps the cached keys.
	expectOK soakExpect = iota
	// expectScope: as expectOK, on a route that needs a scope the token lacks.
	expectScope
	// expectOKOrInvalid: signed with a rotating key. Whether the Validator
	// knows it depends on when it last refreshed (rate-limited, possibly
	// against a failing issuer), and a removed key may still be cached; so
	// both 200 and 401 invalid_token are right, and nothing else.
	expectOKOrInvalid
	// expectInvalid: not a valid token at all. 401 invalid_token, always.
	expectInvalid
)

type soakToken struct {
	name   string
	token  string
	expect soakExpect
	path   string // "" is authcases.PathMe
}

// soakRotatingKeys are the keys the rotation publishes under fresh kids,
// each with an algorithm the Validator allowed at start.
var soakRotatingKeys = []crypto.Signer{testkeys.RSA2(), testkeys.EC(), testkeys.Ed25519(), testkeys.EC384()}

// TestSoak sends a steady mix of valid and invalid tokens through the three
// adapters at once while the issuer rotates keys (AddKey a new kid, UseKey
// it, RemoveKey an older one) and flaps (500, garbage, down, slow, an empty
// key set, then healthy again), with the Validator refreshing often. It
// asserts that there is no wrong answer: no invalid token is ever accepted,
// no token signed with a key loaded at start is ever refused, rotating keys
// get 200 or 401 only, nothing is ever answered 503 once keys are loaded,
// and refused requests never reach a handler. Run it longer with -soak=30s
// or SOAK_DURATION=30s.
func TestSoak(t *testing.T) {
	duration := soakDuration(t)
	env := authcases.NewEnv(t, func(c *core.Config) {
		c.RefreshInterval = 50 * time.Millisecond
		c.UnknownKIDRefreshInterval = 50 * time.Millisecond
		c.UnknownKIDWait = 200 * time.Millisecond
		c.HTTPTimeout = 300 * time.Millisecond
	})
	iss := env.Issuer

	type server struct {
		name    string
		url     string
		reached atomic.Int64 // handler calls
		ok      atomic.Int64 // 200 answers
	}
	servers := make([]*server, len(adapters))
	for i, a := range adapters {
		s := &server{name: a.name}
		s.url = authcases.Serve(t, a.handler(env.Validator, &s.reached)).URL
		servers[i] = s
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}

	// The tokens in use, replaced at every rotation step so that none
	// expires however long the soak runs.
	var state atomic.Pointer[[]soakToken]
	mintState := func(step int) []soakToken {
		mint := func(claims authtest.Claims, opts ...authtest.MintOption) string {
			return iss.MustMint(claims, opts...)
		}
		var toks []soakToken
		for _, kid := range []string{testkeys.KIDRSA, testkeys.KIDEC, testkeys.KIDEC384, testkeys.KIDEd25519} {
			toks = append(
				toks,
				soakToken{"stable " + kid, mint(nil, authtest.SignWith(kid)), expectOK, ""},
				soakToken{
					"stable admin " + kid,
					mint(authtest.Claims{"scope": "read admin"}, authtest.SignWith(kid)),
					expectOK,
					authcases.PathAdmin,
				},
			)
		}
		stable := toks[0].token
		toks = append(
			toks,
			soakToken{"stable without scope", stable, expectScope, authcases.PathAdmin},
			soakToken{
				"attacker key under a stable kid",
				mint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), testkeys.KIDRSA)),
				expectInvalid,
				"",
			},
			soakToken{
				"attacker key under an unknown kid",
				mint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), fmt.Sprintf("ghost-%d", step))),
				expectInvalid,
				"",
			},
			soakToken{
				"expired",
				mint(authtest.Claims{"exp": time.Now().Add(-time.Hour)}, authtest.SignWith(testkeys.KIDEC)),
				expectInvalid,
				"",
			},
			soakToken{
				"wrong aud",
				mint(authtest.Claims{"aud": "other-api"}, authtest.SignWith(testkeys.KIDRSA)),
				expectInvalid,
				"",
			},
			soakToken{"alg none", soakUnsigned(stable), expectInvalid, ""},
			soakToken{
				"HS256",
				mint(nil, authtest.SignWithSecret([]byte("secret"), testkeys.KIDRSA)),
				expectInvalid,
				"",
			},
			soakToken{"1024-bit key", mint(nil, authtest.SignWith(authcases.KIDRSA1024)), expectInvalid, ""},
			soakToken{
				"no kid, several keys fit",
				mint(nil, authtest.SignWith(testkeys.KIDRSA), authtest.WithHeader("kid", nil)),
				expectInvalid,
				"",
			},
			soakToken{"signature stripped", stable[:strings.LastIndexByte(stable, '.')+1], expectInvalid, ""},
		)
		// The two newest rotating kids (published) and the one just removed.
		for back := range 3 {
			if n := step - back; n > 0 {
				kid := fmt.Sprintf("rot-%d", n)
				toks = append(
					toks,
					soakToken{"rotating " + kid, mint(nil, authtest.SignWith(kid)), expectOKOrInvalid, ""},
					soakToken{
						"attacker key under " + kid,
						mint(nil, authtest.SignWithKey(testkeys.AttackerRSA(), kid)),
						expectInvalid,
						"",
					},
				)
			}
		}
		return toks
	}
	initial := mintState(0)
	state.Store(&initial)

	ctx, stop := context.WithTimeout(context.Background(), duration)
	defer stop()
	var wg sync.WaitGroup
	// pause waits for d unless the soak ends first; it paces, it does not
	// synchronise anything.
	pause := func(d time.Duration) bool {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		}
	}

	// Rotation: publish rot-N, sign with it by default, unpublish rot-(N-2).
	var rotations atomic.Int64
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		for step := 1; ctx.Err() == nil; step++ {
			kid := fmt.Sprintf("rot-%d", step)
			iss.AddKey(kid, soakRotatingKeys[step%len(soakRotatingKeys)])
			iss.UseKey(kid)
			if step > 2 {
				iss.RemoveKey(fmt.Sprintf("rot-%d", step-2))
			}
			toks := mintState(step)
			state.Store(&toks)
			rotations.Add(1)
			if !pause(time.Duration(20+rng.IntN(60)) * time.Millisecond) {
				return
			}
		}
	})

	// Flapping: a fault for a while, then healthy for a while.
	var flaps atomic.Int64
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(3, 4))
		heal := func() {
			iss.SetFault(authtest.FaultNone)
			iss.SetJWKS(nil)
		}
		defer heal()
		for ctx.Err() == nil {
			switch rng.IntN(6) {
			case 0:
				iss.SetFault(authtest.FaultServerError)
			case 1:
				iss.SetFault(authtest.FaultGarbage)
			case 2:
				iss.SetFault(authtest.FaultDown)
			case 3: // slower than HTTPTimeout: the refresh gives up
				iss.SetSlowDelay(time.Hour)
				iss.SetFault(authtest.FaultSlow)
			case 4: // slow but within HTTPTimeout: the refresh succeeds
				iss.SetSlowDelay(20 * time.Millisecond)
				iss.SetFault(authtest.FaultSlow)
			case 5: // a set without usable keys must not wipe the cache
				iss.SetJWKS([]byte(`{"keys":[]}`))
			}
			flaps.Add(1)
			if !pause(time.Duration(10+rng.IntN(90)) * time.Millisecond) {
				return
			}
			heal()
			if !pause(time.Duration(10+rng.IntN(90)) * time.Millisecond) {
				return
			}
		}
	})

	// Workers.
	var (
		requests, accepted, refused, rotatingOK, rotatingRefused atomic.Int64
		wrong                                                    atomic.Int64
		mu                                                       sync.Mutex
		wrongExamples                                            []string
	)
	fail := func(format string, args ...any) {
		wrong.Add(1)
		mu.Lock()
		defer mu.Unlock()
		if len(wrongExamples) < 20 {
			wrongExamples = append(wrongExamples, fmt.Sprintf(format, args...))
		}
	}
	const workers = 6
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 5))
			for ctx.Err() == nil {
				toks := *state.Load()
				tok := toks[rng.IntN(len(toks))]
				srv := servers[rng.IntN(len(servers))]
				method, viaCookie := http.MethodGet, false
				switch rng.IntN(4) {
				case 0:
					if tok.path == "" {
						method = http.MethodPost
					}
				case 1:
					viaCookie = true
				}
				a, err := soakDo(client, srv.url, method, tok, viaCookie)
				requests.Add(1)
				if err != nil {
					fail("%s via %s: %v", tok.name, srv.name, err)
					continue
				}
				if a.status == http.StatusOK {
					srv.ok.Add(1)
					accepted.Add(1)
				} else {
					refused.Add(1)
				}
				what := fmt.Sprintf("%s %s via %s (cookie %v)", method, tok.name, srv.name, viaCookie)
				switch tok.expect {
				case expectOK:
					if a.status != http.StatusOK || a.sub != authtest.DefaultSubject {
						fail("%s: %d %q, want 200 for user-1", what, a.status, a.code)
					}
				case expectScope:
					if a.status != http.StatusForbidden || a.code != "insufficient_scope" {
						fail("%s: %d %q, want 403 insufficient_scope", what, a.status, a.code)
					}
				case expectOKOrInvalid:
					switch {
					case a.status == http.StatusOK && a.sub == authtest.DefaultSubject:
						rotatingOK.Add(1)
					case a.status == http.StatusUnauthorized && a.code == "invalid_token" &&
						a.challenge == authcases.ChallengeToken:
						rotatingRefused.Add(1)
					default:
						fail("%s: %d %q, want 200 or 401 invalid_token", what, a.status, a.code)
					}
				case expectInvalid:
					if a.status != http.StatusUnauthorized || a.code != "invalid_token" ||
						a.challenge != authcases.ChallengeToken {
						fail("%s: %d %q, want 401 invalid_token", what, a.status, a.code)
					}
				}
			}
		})
	}

	<-ctx.Done()
	stopped := time.Now()
	wg.Wait()
	drain := time.Since(stopped)

	// Healthy again: a token signed with a key loaded at start still passes.
	for _, srv := range servers {
		tok := soakToken{"final check", (*state.Load())[0].token, expectOK, ""}
		a, err := soakDo(client, srv.url, http.MethodGet, tok, false)
		if err != nil || a.status != http.StatusOK || a.sub != authtest.DefaultSubject {
			t.Errorf("%s after the soak: %+v, %v", srv.name, a, err)
		}
		if a.status == http.StatusOK {
			srv.ok.Add(1)
		}
	}

	t.Logf(
		"soak %v: %d requests (%d accepted, %d refused; rotating keys: %d accepted, %d refused), %d rotations, %d "+
			"faults, %d JWKS fetches, drained in %v; wrong answers: %d",
		duration,
		requests.Load(),
		accepted.Load(),
		refused.Load(),
		rotatingOK.Load(),
		rotatingRefused.Load(),
		rotations.Load(),
		flaps.Load(),
		iss.JWKSFetches(),
		drain.Round(time.Millisecond),
		wrong.Load(),
	)
	for _, srv := range servers {
		if r, ok := srv.reached.Load(), srv.ok.Load(); r != ok {
			t.Errorf("%s: handler reached %d times for %d accepted requests", srv.name, r, ok)
		}
	}
	if n := wrong.Load(); n > 0 {
		t.Errorf("%d wrong answers; the first:\n%s", n, strings.Join(wrongExamples, "\n"))
	}
	if requests.Load() < workers || rotations.Load() == 0 || flaps.Load() == 0 {
		t.Errorf(
			"the soak did too little to prove anything: %d requests, %d rotations, %d faults",
			requests.Load(),
			rotations.Load(),
			flaps.Load(),
		)
	}
	if drain > 5*time.Second {
		t.Errorf("the soak took %v to stop", drain)
	}
}

type soakAnswer struct {
	status    int
	challenge string
	code      string
	sub       string
}

// soakDo sends one request and reads the answer. It reports problems as
// errors, since it runs on worker goroutines that must not call t.Fatal.
func soakDo(client *http.Client, baseURL, method string, tok soakToken, viaCookie bool) (soakAnswer, error) {
	path := tok.path
	if path == "" {
		path = authcases.PathMe
	}
	req, err := http.NewRequest(method, baseURL+path, nil)
	if err != nil {
		return soakAnswer{}, err
	}
	if viaCookie {
		req.AddCookie(&http.Cookie{Name: core.DefaultCookieName, Value: tok.token})
	} else {
		req.Header.Set("Authorization", "Bearer "+tok.token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return soakAnswer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return soakAnswer{}, err
	}
	var body struct {
		Error string `json:"error"`
		Sub   string `json:"sub"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return soakAnswer{}, fmt.Errorf("status %d, body %q is not JSON", resp.StatusCode, raw)
	}
	if strings.Contains(string(raw), tok.token) {
		return soakAnswer{}, fmt.Errorf("status %d: the answer echoes the token", resp.StatusCode)
	}
	return soakAnswer{resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body.Error, body.Sub}, nil
}

// soakUnsigned swaps a token's header for {"alg":"none"} and drops the signature.
func soakUnsigned(token string) string {
	_, rest, _ := strings.Cut(token, ".")
	payload, _, _ := strings.Cut(rest, ".")
	return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + payload + "."
}
