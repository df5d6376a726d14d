package authtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// Values of the auth endpoints, exported so that tests and development
// setups can refer to them instead of repeating literals.
const (
	// CookieName is the cookie in which the auth endpoints store the access
	// token, so that a browser-based development setup has a session.
	CookieName = "identsphere_at"
	// DevOrg is the "org" claim of tokens issued by the auth endpoints.
	DevOrg = "dev-org"
	// DevScope is the "scope" claim of tokens issued by the auth endpoints.
	DevScope = "read"
	// DevACR is the "acr" claim of a login with a password alone; a login
	// whose body asks for "acr_values" (such as "mfa") gets that class
	// instead, with a fresh "auth_time" either way (RFC 9470 step-up).
	DevACR = "pwd"
)

// maxAuthBody caps request bodies of the auth endpoints.
const maxAuthBody = 64 << 10

// tokenResponse is the success answer of login, signup and refresh.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	// DPoPJKT, when set, binds the session's tokens to the client's DPoP
	// key: its RFC 7638 thumbprint, as RFC 9449 section 10's dpop_jkt
	// parameter carries it.
	DPoPJKT string `json:"dpop_jkt"`
	// ACRValues, when set, asks for a login that meets these
	// authentication context classes (space-separated, as RFC 9470's
	// challenge gives them): the token carries the first as acr, and amr
	// ["pwd", "otp"], as a second factor would give.
	ACRValues string `json:"acr_values"`
}

// authEndpoint counts the request, refuses any method but POST, and marks
// the answer as not cacheable since it may hold a token.
func (i *Issuer) authEndpoint(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		i.authRequests.Add(1)
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "invalid_request", r.Method+" is not allowed here")
			return
		}
		next(w, r)
	}
}

// serveLogin handles login and signup alike: in development every email is
// a registered user and every non-empty password is correct, and a login
// that asks for acr_values meets them (a step-up). A body with
// "dpop_jkt" (the thumbprint of the client's DPoP key) gets DPoP-bound
// tokens, as a provider binds them for a client that asks.
func (i *Issuer) serveLogin(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		// Requiring JSON keeps cross-site HTML forms, which cannot send it
		// without a CORS preflight, from logging a browser in.
		writeError(w, http.StatusUnsupportedMediaType, "invalid_request", "the body must be application/json")
		return
	}
	var creds credentials
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAuthBody))
	err := dec.Decode(&creds)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("trailing data after the JSON object")
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, "invalid_request", "the body is too large")
			return
		}
		writeError(w, http.StatusBadRequest, "invalid_request", "the body must be one JSON object")
		return
	}
	email := strings.ToLower(strings.TrimSpace(creds.Email))
	if email == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "email is required")
		return
	}
	if creds.Password == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "password is required")
		return
	}
	var cnf any // nil: no cnf claim, a bearer token
	if creds.DPoPJKT != "" {
		if !isThumbprint(creds.DPoPJKT) {
			writeError(
				w,
				http.StatusBadRequest,
				"invalid_dpop_proof",
				"dpop_jkt must be a base64url SHA-256 thumbprint",
			)
			return
		}
		cnf = map[string]string{"jkt": creds.DPoPJKT}
	}
	acr, amr := DevACR, []string{"pwd"}
	if requested := strings.Fields(creds.ACRValues); len(requested) > 0 {
		acr, amr = requested[0], []string{"pwd", "otp"}
	}
	i.issueSession(w, r, Claims{
		"acr":            acr,
		"amr":            amr,
		"auth_time":      time.Now(),
		"cnf":            cnf,
		"sid":            rand.Text(), // the login session, ended by logout
		"sub":            SubjectFor(email),
		"email":          email,
		"email_verified": true,
		"org":            DevOrg,
		"scope":          DevScope,
	})
}

// isThumbprint reports whether s looks like a base64url SHA-256 digest.
func isThumbprint(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == sha256.Size
}

// SubjectFor returns the "sub" the auth endpoints give the user with this
// email, so that tests can predict it: "user-" and the first 8 hex digits of
// the SHA-256 of the trimmed, lower-cased email.
func SubjectFor(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "user-" + hex.EncodeToString(sum[:4])
}

// serveLogout ends the login session of the token it is sent, in the
// Authorization header (Bearer) or in the session cookie, and clears the
// cookie. As a real provider does, it revokes the session (its sid):
// introspection says inactive from now on for every token of the session,
// while each token stays valid for local checks until it expires, the
// revocation lag of stateless JWTs; and it posts a back-channel logout token
// to every receiver registered with RegisterBackChannelLogout, before it
// answers.
func (i *Issuer) serveLogout(w http.ResponseWriter, r *http.Request) {
	for _, token := range []string{bearerToken(r), cookieToken(r)} {
		if token == "" {
			continue
		}
		if claims, err := i.verify(token); err == nil {
			sid, _ := claims["sid"].(string)
			sub, _ := claims["sub"].(string)
			i.RevokeSession(sid)
			i.Revoke(token) // a token minted without a session
			i.sendBackChannelLogout(r.Context(), sid, sub)
		}
	}
	http.SetCookie(w, sessionCookie(r, "", -1))
	writeJSON(w, http.StatusOK, struct{}{})
}

// bearerToken returns the token of an "Authorization: Bearer" header, or "".
func bearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// cookieToken returns the session cookie's token, or "".
func cookieToken(r *http.Request) string {
	if c, err := r.Cookie(CookieName); err == nil {
		return c.Value
	}
	return ""
}

// serveRefresh exchanges the token in the session cookie, if this issuer
// signed it with a published key and it has not expired, for a fresh one
// about the same user.
func (i *Issuer) serveRefresh(w http.ResponseWriter, r *http.Request) {
	cookie, err := r.Cookie(CookieName)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "invalid_token", "no session cookie")
		return
	}
	old, err := i.verify(cookie.Value)
	if err == nil && i.isRevoked(old) {
		err = errors.New("the session has ended")
	}
	if err != nil {
		writeError(w, http.StatusUnauthorized, "invalid_token", "the session token is invalid or expired")
		return
	}
	fresh := Claims{}
	// A refresh is no new login: acr, amr and auth_time stay the login's.
	names := []string{"sub", "sid", "email", "email_verified", "org", "scope", "cnf", "acr", "amr", "auth_time"}
	for _, name := range names {
		fresh[name] = old[name] // absent stays absent: nil removes the default
	}
	i.issueSession(w, r, fresh)
}

// issueSession mints a token with claims and answers with it, in the body
// and in the session cookie.
func (i *Issuer) issueSession(w http.ResponseWriter, r *http.Request, claims Claims) {
	token, err := i.Mint(claims)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	seconds := int64(i.ttl.Seconds())
	http.SetCookie(w, sessionCookie(r, token, int(seconds)))
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: token, TokenType: "Bearer", ExpiresIn: seconds})
}

// sessionCookie builds the session cookie; maxAge < 0 deletes it. It is
// Secure only when r came over TLS, so that it also works on plain-HTTP
// loopback during development.
func sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     CookieName,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	}
}
