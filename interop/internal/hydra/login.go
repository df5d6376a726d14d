package hydra

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// The login and consent app's paths, which Hydra redirects the browser to
// (URLS_LOGIN, URLS_CONSENT).
const (
	loginPath   = "/login"
	consentPath = "/consent"
)

// User is someone who may log in through the login app.
type User struct {
	// Subject is the sub of the user's tokens.
	Subject string
	// IDTokenClaims are added to the user's ID tokens (the consent's
	// session.id_token), such as email and email_verified.
	IDTokenClaims map[string]any
}

// loginApp is the login and consent app every Hydra deployment writes: it
// has no form. It logs in the user the authorization request names by its
// login_hint, and grants every scope and audience the client asked for,
// through the admin API, then sends the browser back to Hydra.
type loginApp struct {
	hydra *Server
	users map[string]User
}

// startLoginApp serves the app on a loopback httptest server until the
// test ends.
func startLoginApp(t testing.TB, s *Server, users map[string]User) *httptest.Server {
	app := &loginApp{hydra: s, users: users}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+loginPath, app.login)
	mux.HandleFunc("GET "+consentPath, app.consent)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// login accepts the login request for the user named by login_hint.
func (a *loginApp) login(w http.ResponseWriter, r *http.Request) {
	challenge := r.URL.Query().Get("login_challenge")
	q := "?login_challenge=" + url.QueryEscape(challenge)
	var req struct {
		OIDCContext struct {
			LoginHint string `json:"login_hint"`
		} `json:"oidc_context"`
	}
	err := a.hydra.call(r.Context(), http.MethodGet, "/admin/oauth2/auth/requests/login"+q, nil, &req, http.StatusOK)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	user, ok := a.users[req.OIDCContext.LoginHint]
	if !ok {
		http.Error(w, fmt.Sprintf("no user %q", req.OIDCContext.LoginHint), http.StatusForbidden)
		return
	}
	a.accept(w, r, "/admin/oauth2/auth/requests/login/accept"+q, map[string]any{"subject": user.Subject})
}

// consent grants what the client asked for, with the user's claims in the
// ID token.
func (a *loginApp) consent(w http.ResponseWriter, r *http.Request) {
	challenge := r.URL.Query().Get("consent_challenge")
	q := "?consent_challenge=" + url.QueryEscape(challenge)
	var req struct {
		Subject  string   `json:"subject"`
		Scope    []string `json:"requested_scope"`
		Audience []string `json:"requested_access_token_audience"`
	}
	err := a.hydra.call(r.Context(), http.MethodGet, "/admin/oauth2/auth/requests/consent"+q, nil, &req, http.StatusOK)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	var claims map[string]any
	for _, u := range a.users {
		if u.Subject == req.Subject {
			claims = u.IDTokenClaims
		}
	}
	a.accept(w, r, "/admin/oauth2/auth/requests/consent/accept"+q, map[string]any{
		"grant_scope":                 req.Scope,
		"grant_access_token_audience": req.Audience,
		"session":                     map[string]any{"id_token": claims},
	})
}

// accept sends an accept request and redirects the browser where Hydra
// says.
func (a *loginApp) accept(w http.ResponseWriter, r *http.Request, path string, body any) {
	var out struct {
		RedirectTo string `json:"redirect_to"`
	}
	if err := a.hydra.call(r.Context(), http.MethodPut, path, body, &out, http.StatusOK); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, out.RedirectTo, http.StatusFound)
}
