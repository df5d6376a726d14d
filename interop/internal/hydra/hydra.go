// Package hydra runs ORY Hydra, an OpenID provider written by others, for
// the interop tests: the real server binary (see [Binary]), as its own
// process on loopback, with SQLite in a temporary directory, JWT access tokens, and a
// login and consent app of ours on an httptest server, which is the part
// every Hydra deployment writes itself.
//
// Hydra has two listeners: the public one (the issuer: discovery, JWKS,
// the authorization and token endpoints) and the admin one (clients, keys,
// the login and consent requests, and token introspection), which a
// deployment keeps off the internet.
package hydra

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/identsphere/identsphere-go/internal/starterproc"
)

// Bounds on how long the server may take.
const (
	startTimeout = 30 * time.Second // to answer /health/ready
	stopTimeout  = 10 * time.Second // to exit after SIGTERM
)

// Server is a running Hydra.
type Server struct {
	// Issuer is the public listener's URL, http://127.0.0.1:port, which
	// Hydra puts in iss. Discovery is at Issuer +
	// "/.well-known/openid-configuration".
	Issuer string
	// Admin is the admin listener's URL. Its introspection endpoint is
	// Admin + "/admin/oauth2/introspect".
	Admin string

	http   *http.Client
	cmd    *exec.Cmd
	logs   *starterproc.Output
	exited chan struct{}
}

// Start runs the Hydra binary bin on free loopback ports until the test
// ends; users are who may log in, by the login_hint of the authorization
// request. It returns once Hydra is ready.
func Start(t testing.TB, bin string, users map[string]User) *Server {
	t.Helper()
	dsn := migrate(t, bin)
	// The ports are found free and then handed to Hydra; should another
	// process take one in between, Hydra exits and is started again.
	for attempt := 1; ; attempt++ {
		s, err := tryStart(t, bin, dsn, users)
		if err == nil {
			t.Cleanup(func() { s.stop(t) })
			return s
		}
		if attempt == 3 || !strings.Contains(s.logs.String(), "address already in use") {
			t.Fatalf("hydra: %v\nlogs:\n%s", err, s.logs)
		}
	}
}

// migrate creates Hydra's database, SQLite in a file of a temporary
// directory, and returns its DSN. Hydra's DSN=memory shares one in-memory
// database between connections in SQLite's shared-cache mode, where
// concurrent writers fail at once ("table is locked") rather than wait:
// concurrent first requests then make Hydra hang generating its keys. A
// file in WAL mode with a busy timeout waits instead.
func migrate(t testing.TB, bin string) string {
	t.Helper()
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "hydra.sqlite") + "?_fk=true&_journal_mode=WAL&_busy_timeout=10000"
	cmd := exec.Command(bin, "migrate", "sql", "up", "--read-from-env", "--yes")
	cmd.Env = []string{"DSN=" + dsn}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hydra migrate sql up: %v\n%s", err, out)
	}
	return dsn
}

// tryStart starts the process once; on error the process has exited.
func tryStart(t testing.TB, bin, dsn string, users map[string]User) (*Server, error) {
	public, admin := freePort(t), freePort(t)
	s := &Server{
		Issuer: "http://127.0.0.1:" + public,
		Admin:  "http://127.0.0.1:" + admin,
		http:   &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 20 * time.Second},
		logs:   starterproc.NewOutput(),
		exited: make(chan struct{}),
	}
	app := startLoginApp(t, s, users)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	s.cmd = exec.Command(bin, "serve", "all", "--dev", "--sqa-opt-out")
	s.cmd.Env = []string{
		"DSN=" + dsn,
		"SERVE_PUBLIC_HOST=127.0.0.1", "SERVE_PUBLIC_PORT=" + public,
		"SERVE_ADMIN_HOST=127.0.0.1", "SERVE_ADMIN_PORT=" + admin,
		"URLS_SELF_ISSUER=" + s.Issuer,
		"URLS_LOGIN=" + app.URL + loginPath,
		"URLS_CONSENT=" + app.URL + consentPath,
		"STRATEGIES_ACCESS_TOKEN=jwt",
		"SECRETS_SYSTEM=" + hex.EncodeToString(secret),
		// The cheapest client secret hashing: the tests' secrets are not
		// worth a slow hash.
		"OAUTH2_HASHERS_BCRYPT_COST=4",
		"LOG_LEVEL=warn",
	}
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	err := s.waitReady()
	if err == nil {
		err = s.makeKeys()
	}
	if err != nil {
		_ = s.cmd.Process.Kill()
		<-s.exited
		return s, err
	}
	return s, nil
}

// makeKeys gives Hydra its first signing keys, one for ID tokens and one
// for access tokens, each a new RSA 2048 key imported through the admin
// API (PUT /admin/keys/SET, as `hydra import jwk` does). Left to itself,
// Hydra generates RSA 4096 keys at its first request, seconds of CPU each
// on a busy machine, past its own 10 s write timeout.
func (s *Server) makeKeys() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for _, set := range []string{IDTokenKeys, AccessTokenKeys} {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return err
		}
		jwk := jose.JSONWebKey{Key: key, KeyID: rand.Text(), Algorithm: "RS256", Use: "sig"}
		body := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}}
		if err := s.call(ctx, http.MethodPut, "/admin/keys/"+set, body, nil, http.StatusOK); err != nil {
			return err
		}
	}
	var set jose.JSONWebKeySet
	err := doJSON(ctx, s.http, http.MethodGet, s.Issuer+"/.well-known/jwks.json", nil, &set, http.StatusOK)
	if err != nil {
		return err
	}
	if len(set.Keys) != 2 {
		return fmt.Errorf("the JWKS has %d keys, want the two imported", len(set.Keys))
	}
	return nil
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// waitReady polls both listeners' readiness until they answer 200.
func (s *Server) waitReady() error {
	ready := func(base string) bool {
		resp, err := s.http.Get(base + "/health/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	deadline := time.Now().Add(startTimeout)
	for !ready(s.Admin) || !ready(s.Issuer) {
		select {
		case <-s.exited:
			return fmt.Errorf("the server exited: %v", s.cmd.ProcessState)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("no 200 from /health/ready within " + startTimeout.String())
		}
	}
	return nil
}

// stop sends SIGTERM and requires the process to exit with status 0 within
// stopTimeout.
// On failure it logs Hydra's output.
func (s *Server) stop(t testing.TB) {
	select {
	case <-s.exited:
		t.Errorf("hydra exited before the test ended: %v", s.cmd.ProcessState)
	default:
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
			// Hydra exits 0 once its requests in flight are answered; a
			// request it left hanging makes it exit 1.
			if code := s.cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("hydra: exit status %d after SIGTERM, want 0", code)
			}
		case <-time.After(stopTimeout):
			_ = s.cmd.Process.Kill()
			<-s.exited
			t.Errorf("hydra did not stop within %v of SIGTERM", stopTimeout)
		}
	}
	if t.Failed() {
		t.Logf("hydra logs:\n%s", s.logs)
	}
}

// Logs is what Hydra has written so far.
func (s *Server) Logs() string { return s.logs.String() }

// call sends a JSON request to the admin API and decodes the JSON answer
// into out (when not nil), requiring status want.
func (s *Server) call(ctx context.Context, method, path string, body, out any, want int) error {
	return doJSON(ctx, s.http, method, s.Admin+path, body, out, want)
}
