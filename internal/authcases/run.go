package authcases

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/core"
)

// Answer is what a handler answered to a Case, reduced to what must match.
type Answer struct {
	Status      int
	Challenge   string
	RetryAfter  string
	ContentType string
	DPoPNonce   string
	Body        []byte
}

// Do sends c to the server at baseURL over real HTTP, after the requests
// of c.Before, each checked with Check, and returns c's answer.
func Do(t testing.TB, baseURL string, c Case) Answer {
	t.Helper()
	for i, b := range c.Before {
		if b.Name == "" {
			b.Name = fmt.Sprintf("%s, before #%d", c.Name, i+1)
		}
		Check(t, b, Do(t, baseURL, b))
	}
	method, path := c.Method, c.Path
	if method == "" {
		method = http.MethodGet
	}
	if path == "" {
		path = PathMe
	}
	req, err := http.NewRequest(method, baseURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range c.Auth {
		req.Header.Add("Authorization", a)
	}
	for _, v := range c.Cookies {
		req.Header.Add("Cookie", core.DefaultCookieName+"="+v)
	}
	for _, p := range c.DPoP {
		req.Header.Add("DPoP", p)
	}
	for k, v := range c.Header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Answer{
		Status:      resp.StatusCode,
		Challenge:   resp.Header.Get("WWW-Authenticate"),
		RetryAfter:  resp.Header.Get("Retry-After"),
		ContentType: resp.Header.Get("Content-Type"),
		DPoPNonce:   resp.Header.Get("DPoP-Nonce"),
		Body:        body,
	}
}

// Check asserts that a is the answer c expects: status, challenge, and the
// JSON error code; on success, that the handler saw the token's subject.
func Check(t testing.TB, c Case, a Answer) {
	t.Helper()
	if a.Status != c.Status {
		t.Errorf("%s: status %d, want %d (body %s)", c.Name, a.Status, c.Status, a.Body)
	}
	if a.Challenge != c.Challenge {
		t.Errorf("%s: WWW-Authenticate %q, want %q", c.Name, a.Challenge, c.Challenge)
	}
	if a.DPoPNonce != c.Nonce {
		t.Errorf("%s: DPoP-Nonce %q, want %q", c.Name, a.DPoPNonce, c.Nonce)
	}
	for _, p := range c.DPoP {
		if len(p) > 20 && (containsToken(a.Body, p) || containsToken([]byte(a.Challenge), p)) {
			t.Errorf("%s: the answer echoes the DPoP proof", c.Name)
		}
	}
	var body map[string]any
	if err := json.Unmarshal(a.Body, &body); err != nil {
		t.Errorf("%s: body is not JSON: %q", c.Name, a.Body)
		return
	}
	if c.Status == http.StatusOK {
		if body["sub"] == "" || body["sub"] == nil {
			t.Errorf("%s: handler saw no subject: %s", c.Name, a.Body)
		}
		return
	}
	code, _ := body["error"].(string)
	if code != c.Code {
		t.Errorf("%s: error %q, want %q", c.Name, code, c.Code)
	}
	if d, _ := body["error_description"].(string); d == "" || !strings.Contains(d, c.Description) {
		t.Errorf("%s: error_description %q, want one holding %q", c.Name, d, c.Description)
	}
	if a.ContentType != "application/json" {
		t.Errorf("%s: Content-Type %q", c.Name, a.ContentType)
	}
	for _, auth := range c.Auth {
		if len(auth) > 20 && (containsToken(a.Body, auth[7:]) || containsToken([]byte(a.Challenge), auth[7:])) {
			t.Errorf("%s: the answer echoes the token", c.Name)
		}
	}
}

func containsToken(haystack []byte, token string) bool {
	return bytes.Contains(haystack, []byte(token))
}

// Serve starts h on loopback for the test.
func Serve(t testing.TB, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// WriteMe is the body every adapter's handlers answer with on success.
func WriteMe(w http.ResponseWriter, c *core.Claims) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Me(c))
}

// Me is the success body: the token's subject, org and email.
func Me(c *core.Claims) map[string]string {
	return map[string]string{"sub": c.Subject, "org": c.Org, "email": c.Email}
}
