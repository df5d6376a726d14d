package devissuer_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/resourceserver"
	"github.com/identsphere/identsphere-go/resourceserver/devissuer"
	"github.com/identsphere/identsphere-go/stdauth"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

// In dev mode the Server listens on loopback whatever ADDR says, answers
// 421 to a rebound Host, and the banner's token and curl line work at
// once; the token goes to the banner, never to the log.
func TestDevModeBannerTokenWorksOnLoopbackOnly(t *testing.T) {
	cfg, err := resourceserver.FromEnv(func(name string) (string, bool) {
		if name == "ADDR" {
			return ":0", true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	iss := devissuer.Start(&cfg)
	defer iss.Close()
	srv, err := resourceserver.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Errorf("dev mode listens at %s, want 127.0.0.1", srv.URL())
	}
	mux := http.NewServeMux()
	mux.Handle(
		"/api/me",
		stdauth.Middleware(
			srv.Validator(),
			srv.AuthOptions()...)(
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, _ := core.ClaimsFrom(r.Context())
				_, _ = io.WriteString(w, c.Email)
			}),
		),
	)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, mux) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()

	var banner bytes.Buffer
	if err := iss.Announce(t.Context(), &banner, srv); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`curl -H "Authorization: Bearer ([^"]+)" (\S+)`).FindStringSubmatch(banner.String())
	if m == nil {
		t.Fatalf("no curl line in the banner:\n%s", banner.String())
	}
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	get := func(host string) (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, m[2], nil)
		req.Header.Set("Authorization", "Bearer "+m[1])
		if host != "" {
			req.Host = host
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get(""); status != http.StatusOK || body != devissuer.Email {
		t.Errorf("the banner's curl line: %d %q", status, body)
	}
	if status, _ := get("attacker.example:80"); status != http.StatusMisdirectedRequest {
		t.Errorf("a rebound Host: %d, want 421", status)
	}
	if strings.Contains(logs.String(), m[1]) {
		t.Error("the token is in the log")
	}
}
