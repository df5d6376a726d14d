package authtest_test

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/testkeys"
)

// promptly bounds how long Close may take while a request is held; the slow
// delay it must not wait for is DefaultSlowDelay (30s).
const promptly = 5 * time.Second

func wellKnownURLs(iss *authtest.Issuer) []string {
	return []string{iss.URL() + discoveryPath, iss.JWKSURL()}
}

func TestFaultDownDropsConnection(t *testing.T) {
	iss := newIssuer(t)
	iss.SetFault(authtest.FaultDown)
	for _, u := range wellKnownURLs(iss) {
		resp, err := newClient(t).Do(mustRequest(t, http.MethodGet, u, nil))
		if err == nil {
			resp.Body.Close()
			t.Fatalf("GET %s: got %d, want a transport error", u, resp.StatusCode)
		}
	}
	if iss.JWKSFetches() != 1 || iss.DiscoveryFetches() != 1 {
		t.Fatalf("counters %d/%d, want 1/1: dropped requests still reached the endpoints",
			iss.JWKSFetches(), iss.DiscoveryFetches())
	}
	iss.SetFault(authtest.FaultNone)
	liveJWKS(t, iss) // fails the test unless service is back
}

func TestFaultSlowTimesOutClientAndCloseIsPrompt(t *testing.T) {
	iss := authtest.NewIssuer(authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()))
	t.Cleanup(iss.Close)
	iss.SetFault(authtest.FaultSlow)

	c := newClient(t)
	c.Timeout = 100 * time.Millisecond
	resp, err := c.Do(mustRequest(t, http.MethodGet, iss.JWKSURL(), nil))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got %d, want a client timeout", resp.StatusCode)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("error %v, want a timeout", err)
	}

	start := time.Now()
	iss.Close()
	if d := time.Since(start); d > promptly {
		t.Fatalf("Close took %v", d)
	}
	iss.Close() // a second Close must not block or panic
}

func TestCloseReleasesHeldRequest(t *testing.T) {
	held := make(chan struct{}, 1)
	iss := authtest.NewIssuer(authtest.WithKey(testkeys.KIDRSA, testkeys.RSA()),
		authtest.WithHoldHook(func() { held <- struct{}{} }))
	t.Cleanup(iss.Close)
	iss.SetFault(authtest.FaultSlow)

	result := make(chan error, 1)
	c := newClient(t) // no client timeout: only Close can end the request
	req := mustRequest(t, http.MethodGet, iss.URL()+discoveryPath, nil)
	go func() {
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		result <- err
	}()

	select {
	case <-held:
	case err := <-result:
		t.Fatalf("request ended before being held: %v", err)
	case <-time.After(promptly):
		t.Fatal("request never reached the slow handler")
	}
	start := time.Now()
	iss.Close()
	if d := time.Since(start); d > promptly {
		t.Fatalf("Close took %v while a request was held", d)
	}
	if err := <-result; err == nil {
		t.Fatal("held request got an answer, want its connection dropped")
	}
}

func TestFaultSlowServesAfterDelay(t *testing.T) {
	iss := newIssuer(t)
	iss.SetFault(authtest.FaultSlow)
	const delay = 50 * time.Millisecond
	iss.SetSlowDelay(delay)

	start := time.Now()
	token := iss.MustMint(nil)
	if _, err := verifyWithLiveJWKS(t, iss, token); err != nil {
		t.Fatalf("slow JWKS did not serve the real set: %v", err)
	}
	if d := time.Since(start); d < delay {
		t.Fatalf("answered after %v, want at least %v", d, delay)
	}
}

func TestFaultServerError(t *testing.T) {
	iss := newIssuer(t)
	iss.SetFault(authtest.FaultServerError)
	for _, u := range wellKnownURLs(iss) {
		resp, body := get(t, u)
		if resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("GET %s: %d, want 500", u, resp.StatusCode)
		}
		if strings.Contains(string(body), `"keys"`) || strings.Contains(string(body), `"issuer"`) {
			t.Fatalf("GET %s: 500 body %s leaks the real document", u, body)
		}
	}
}

func TestFaultGarbage(t *testing.T) {
	iss := newIssuer(t)
	iss.SetFault(authtest.FaultGarbage)
	for _, u := range wellKnownURLs(iss) {
		resp, body := get(t, u)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %d %q, want 200 application/json", u, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if len(body) == 0 || json.Valid(body) {
			t.Fatalf("GET %s: body %q, want non-empty non-JSON", u, body)
		}
	}
}

func TestFaultsSpareAuthEndpoints(t *testing.T) {
	iss := newIssuer(t)
	for _, f := range []authtest.Fault{
		authtest.FaultDown,
		authtest.FaultSlow,
		authtest.FaultServerError,
		authtest.FaultGarbage,
	} {
		t.Run(f.String(), func(t *testing.T) {
			iss.SetFault(f)
			resp, body := postJSON(t, iss, "/v1/auth/login", `{"email":"a@example.com","password":"x"}`)
			if resp.StatusCode != http.StatusOK || !json.Valid(body) {
				t.Fatalf("login under %v: %d %s", f, resp.StatusCode, body)
			}
		})
	}
}

func TestFaultMisuse(t *testing.T) {
	iss := newIssuer(t)
	mustPanic(t, "unknown fault", func() { iss.SetFault(authtest.Fault(99)) })
	mustPanic(t, "must not be negative", func() { iss.SetSlowDelay(-time.Second) })
	if got := authtest.FaultSlow.String(); got != "FaultSlow" {
		t.Errorf("FaultSlow.String() = %q", got)
	}
	if got := authtest.Fault(99).String(); got != "Fault(99)" {
		t.Errorf("Fault(99).String() = %q", got)
	}
}
