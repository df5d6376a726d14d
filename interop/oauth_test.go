package interop_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/identsphere/identsphere-go/interop/internal/provider"
)

// oauthClient drives the provider's endpoints as an application would: it
// reads discovery, follows redirects with a cookie jar, fills in the HTML
// login form, and talks to the token, revocation and introspection
// endpoints. It never logs a token.
type oauthClient struct {
	http *http.Client
	meta discovery
}

// discovery is the part of the provider's discovery document the flows use.
type discovery struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	RevocationEndpoint    string `json:"revocation_endpoint"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
}

// tokens is a token endpoint answer.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// newOAuthClient reads the provider's discovery document.
func newOAuthClient(t *testing.T, issuer string) *oauthClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	o := &oauthClient{http: &http.Client{
		Jar:       jar,
		Transport: &http.Transport{DisableKeepAlives: true},
		Timeout:   20 * time.Second,
		// A redirect to a client's redirect URI ends the browser's part:
		// nothing listens there, the application reads the code from it.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Path == callbackPath {
				return http.ErrUseLastResponse
			}
			if len(via) >= 10 {
				return fmt.Errorf("%d redirects", len(via))
			}
			return nil
		},
	}}
	resp, err := o.http.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&o.meta); err != nil {
		t.Fatal(err)
	}
	// Hydra names no introspection endpoint: it is on its admin listener.
	if o.meta.Issuer != issuer || o.meta.TokenEndpoint == "" || o.meta.RevocationEndpoint == "" ||
		o.meta.JWKSURI == "" {
		t.Fatalf("discovery document lacks what the flows need: %+v", o.meta)
	}
	return o
}

// post sends a form to endpoint, with client_secret_basic when the client
// has a secret, else its client_id in the form (a public client).
func (o *oauthClient) post(t *testing.T, endpoint string, c provider.Client, form url.Values) (int, []byte) {
	t.Helper()
	if c.Secret == "" {
		form.Set("client_id", c.ID)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.Secret != "" {
		req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
	}
	resp, err := o.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// token posts a token request that must succeed.
func (o *oauthClient) token(t *testing.T, c provider.Client, form url.Values) tokens {
	t.Helper()
	status, body := o.post(t, o.meta.TokenEndpoint, c, form)
	if status != http.StatusOK {
		t.Fatalf("token endpoint (%s): %d %s", form.Get("grant_type"), status, body)
	}
	var tok tokens
	if err := json.Unmarshal(body, &tok); err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || !strings.EqualFold(tok.TokenType, "Bearer") || tok.ExpiresIn <= 0 {
		t.Fatalf("token endpoint (%s): no bearer access token with expires_in in the answer", form.Get("grant_type"))
	}
	return tok
}

// clientCredentials is the client credentials grant (RFC 6749 section 4.4).
func (o *oauthClient) clientCredentials(t *testing.T, c provider.Client, scopes ...string) tokens {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(scopes) > 0 {
		form.Set("scope", strings.Join(scopes, " "))
	}
	return o.token(t, c, form)
}

// refresh is the refresh_token grant.
func (o *oauthClient) refresh(t *testing.T, c provider.Client, refreshToken string) tokens {
	t.Helper()
	return o.token(t, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

// revoke revokes a token (RFC 7009), which must answer 200.
func (o *oauthClient) revoke(t *testing.T, c provider.Client, token, hint string) {
	t.Helper()
	status, body := o.post(t, o.meta.RevocationEndpoint, c, url.Values{"token": {token}, "token_type_hint": {hint}})
	if status != http.StatusOK {
		t.Fatalf("revocation endpoint: %d %s", status, body)
	}
}

// introspect asks the provider directly (RFC 7662) whether a token is
// active, as c.
func (o *oauthClient) introspect(t *testing.T, c provider.Client, token string) bool {
	t.Helper()
	if o.meta.IntrospectionEndpoint == "" {
		t.Fatal("the provider's discovery document names no introspection endpoint")
	}
	return o.introspectAt(t, o.meta.IntrospectionEndpoint, c, token)
}

// introspectAt asks the introspection endpoint at endpoint.
func (o *oauthClient) introspectAt(t *testing.T, endpoint string, c provider.Client, token string) bool {
	t.Helper()
	status, body := o.post(t, endpoint, c, url.Values{"token": {token}})
	if status != http.StatusOK {
		t.Fatalf("introspection endpoint: %d %s", status, body)
	}
	var r struct {
		Active *bool `json:"active"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Active == nil {
		t.Fatalf("introspection endpoint: no active member: %s", body)
	}
	return *r.Active
}

// callbackPath is the path of every client's redirect URI.
const callbackPath = "/callback"

// authorizationCode runs the authorization code flow with PKCE (S256) for
// the example user: the authorization request, the provider's login form
// filled in and posted, the redirect with the code, and the code exchange.
func (o *oauthClient) authorizationCode(t *testing.T, c provider.Client, scopes ...string) tokens {
	t.Helper()
	return o.authorizationCodeAs(t, c, provider.Username(o.meta.Issuer), scopes...)
}

// authorizationCodeAs is authorizationCode for the user with this login
// name (and provider.Password).
func (o *oauthClient) authorizationCodeAs(t *testing.T, c provider.Client, username string, scopes ...string) tokens {
	t.Helper()
	verifier := randomString(t)
	sum := sha256.Sum256([]byte(verifier))
	redirectURI := c.RedirectURIs[0]

	page := o.authorize(t, c, redirectURI, sum[:], scopes)
	code, state := o.login(t, page, username, provider.Password)
	if state != page.state {
		t.Fatalf("the redirect carries another state")
	}
	return o.token(t, c, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURI},
		"code_verifier": {verifier},
	})
}

// loginPage is the provider's login form, reached from an authorization
// request.
type loginPage struct {
	form  form
	state string // the authorization request's state
	user  string // the login name of the example user
}

func (p loginPage) username(t *testing.T) string {
	t.Helper()
	if p.user == "" {
		t.Fatal("no username")
	}
	return p.user
}

// authorize sends the authorization request and follows the provider to
// its login form.
func (o *oauthClient) authorize(
	t *testing.T,
	c provider.Client,
	redirectURI string,
	challenge []byte,
	scopes []string,
) loginPage {
	t.Helper()
	state := randomString(t)
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.ID},
		"redirect_uri":          {redirectURI},
		"scope":                 {strings.Join(scopes, " ")},
		"state":                 {state},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(challenge)},
		"code_challenge_method": {"S256"},
	}
	resp, err := o.http.Get(o.meta.AuthorizationEndpoint + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("authorization request: %d %s, want the login form", resp.StatusCode, body)
	}
	f := parseForm(t, resp.Request.URL, body)
	return loginPage{form: f, state: state, user: provider.Username(o.meta.Issuer)}
}

// login fills in and posts the login form. On success the provider
// redirects to the client's redirect URI with the code and the state.
func (o *oauthClient) login(t *testing.T, page loginPage, username, password string) (code, state string) {
	t.Helper()
	resp := o.submit(t, page.form, username, password)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("login: %d, want a redirect to the client: %s", resp.StatusCode, body)
	}
	loc, err := resp.Location()
	if err != nil {
		t.Fatal(err)
	}
	if loc.Path != callbackPath {
		t.Fatalf("login redirected to %s, not to the client", loc.Path)
	}
	q := loc.Query()
	if q.Get("error") != "" || q.Get("code") == "" {
		t.Fatalf("login redirected with error %q and no code", q.Get("error"))
	}
	return q.Get("code"), q.Get("state")
}

// submit posts the form with the username and password filled in.
func (o *oauthClient) submit(t *testing.T, f form, username, password string) *http.Response {
	t.Helper()
	values := f.values()
	for _, name := range []string{"username", "password"} {
		if !f.has(name) {
			t.Fatalf("the login form has no %s field", name)
		}
	}
	values.Set("username", username)
	values.Set("password", password)
	if f.method != http.MethodPost {
		t.Fatalf("the login form's method is %q, want POST", f.method)
	}
	resp, err := o.http.PostForm(f.action.String(), values)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// form is an HTML form: where it posts and its named inputs.
type form struct {
	method string
	action *url.URL
	inputs []input
}

type input struct{ name, value string }

func (f form) values() url.Values {
	v := url.Values{}
	for _, in := range f.inputs {
		v.Set(in.name, in.value)
	}
	return v
}

func (f form) has(name string) bool {
	return slices.ContainsFunc(f.inputs, func(in input) bool { return in.name == name })
}

// parseForm reads the first form of an HTML page served at base.
func parseForm(t *testing.T, base *url.URL, page []byte) form {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(string(page)))
	if err != nil {
		t.Fatal(err)
	}
	var f *form
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch {
		case n.Data == "form" && f == nil:
			action, err := base.Parse(attr(n, "action"))
			if err != nil {
				t.Fatal(err)
			}
			f = &form{method: strings.ToUpper(attr(n, "method")), action: action}
		case n.Data == "input" && f != nil && attr(n, "name") != "":
			f.inputs = append(f.inputs, input{name: attr(n, "name"), value: attr(n, "value")})
		}
	}
	if f == nil {
		t.Fatalf("no form in the page: %s", page)
	}
	return *f
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// randomString is 32 random bytes in base64url: a PKCE verifier, a state.
func randomString(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
