package backchannel

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/identsphere/identsphere-go/core"
)

// Defaults of Config.
const (
	// DefaultMaxTokenLifetime is how long the tokens of a logged-out
	// session may still be presented: the longest lifetime of an access
	// token the provider mints.
	DefaultMaxTokenLifetime = 24 * time.Hour
	// MaxBody caps the request body: a logout token is a few KiB.
	MaxBody = 64 << 10
	// RetryAfter is the Retry-After of a 503: when the provider should
	// post the logout token again.
	RetryAfter = 5 * time.Second
)

// Config configures NewHandler.
type Config struct {
	// Validator verifies the logout tokens with its issuers' keys.
	Validator *core.Validator
	// ClientID is this service's client id at the provider: the aud a
	// logout token for it carries.
	ClientID string
	// Revoker records the revocations, where the RevocationChecker of the
	// Validator finds them: core.Denylist.Revoker() for one replica, a
	// *redisstore.Store for a fleet. Each names the issuer that verified
	// the logout token, and denies only that issuer's tokens.
	Revoker core.Revoker
	// Replay is where a fleet remembers the logout tokens it accepted, so
	// that one accepted by a replica is refused by every other
	// (redisstore.Store.ReplayCache(redisstore.DefaultLogoutReplayPrefix)).
	// Nil: each replica remembers its own only. When it cannot answer, the
	// logout is processed anyway (see the package doc).
	Replay ReplayStore
	// MaxTokenLifetime is how long tokens of a logged-out session can live,
	// so how long the revocation lasts. Default DefaultMaxTokenLifetime.
	MaxTokenLifetime time.Duration
	// MaxAge is how old (by iat) a logout token may be. Default
	// core.DefaultLogoutTokenMaxAge.
	MaxAge time.Duration
	// Logger receives one record per logout and per refusal (never the
	// token). Default slog.Default().
	Logger *slog.Logger
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// Handler is the back-channel logout endpoint.
type Handler struct {
	cfg  Config
	seen localReplay
}

// NewHandler checks cfg and returns the endpoint.
func NewHandler(cfg Config) (*Handler, error) {
	switch {
	case cfg.Validator == nil:
		return nil, errors.New("backchannel: Config.Validator is required")
	case cfg.ClientID == "":
		return nil, errors.New("backchannel: Config.ClientID is required (the aud of the logout tokens)")
	case cfg.Revoker == nil:
		return nil, errors.New("backchannel: Config.Revoker is required (where the revocations go)")
	case cfg.MaxTokenLifetime < 0 || cfg.MaxAge < 0:
		return nil, errors.New("backchannel: durations must not be negative")
	}
	if cfg.MaxTokenLifetime == 0 {
		cfg.MaxTokenLifetime = DefaultMaxTokenLifetime
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = core.DefaultLogoutTokenMaxAge
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Handler{cfg: cfg, seen: localReplay{seen: map[string]time.Time{}}}, nil
}

// ServeHTTP handles one POST of a logout token (form parameter
// logout_token): 200 once the revocation is durable, 503 with Retry-After
// while it is in force here only, 400 for what is not a valid, unused
// logout token for this client.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(w, r, http.StatusMethodNotAllowed, "the back-channel logout endpoint takes POST", nil)
		return
	}
	token, desc := readLogoutToken(w, r)
	if desc != "" {
		h.refuse(w, r, http.StatusBadRequest, desc, nil)
		return
	}
	lt, err := h.cfg.Validator.VerifyLogoutToken(r.Context(), token, h.cfg.ClientID, h.cfg.MaxAge)
	switch {
	case errors.Is(err, core.ErrKeysUnavailable):
		h.refuse(w, r, http.StatusServiceUnavailable, "the provider's keys are not available yet", err)
		return
	case err != nil:
		h.refuse(w, r, http.StatusBadRequest, "the logout token is invalid", err)
		return
	}
	use := h.firstUse(r.Context(), lt)
	if !use.first {
		h.refuse(w, r, http.StatusBadRequest, "the logout token was already used", nil)
		return
	}
	if err := h.revoke(r.Context(), lt); err != nil {
		h.undo(r.Context(), use, lt)
		if errors.Is(err, core.ErrRevocationPending) {
			h.refuse(
				w,
				r,
				http.StatusServiceUnavailable,
				"the logout is in force on this replica but not yet recorded in the shared store",
				err,
			)
			return
		}
		h.refuse(w, r, http.StatusServiceUnavailable, "the revocation could not be recorded", err)
		return
	}
	h.cfg.Logger.InfoContext(
		r.Context(),
		"identsphere: back-channel logout",
		"issuer",
		lt.AdmittedBy,
		"sub",
		lt.Subject,
		"sid",
		lt.SessionID,
	)
	w.WriteHeader(http.StatusOK)
}

// readLogoutToken reads the one logout_token form parameter of a capped
// url-encoded body, or says what is wrong.
func readLogoutToken(w http.ResponseWriter, r *http.Request) (token, problem string) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil ||
		mt != "application/x-www-form-urlencoded" {
		return "", "the body must be application/x-www-form-urlencoded"
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return "", "the body is too large"
	case err != nil:
		return "", "the body could not be read"
	}
	form, err := url.ParseQuery(string(body))
	switch {
	case err != nil:
		return "", "the body is not a valid form"
	case len(form["logout_token"]) != 1 || form.Get("logout_token") == "":
		return "", "the body must hold exactly one logout_token"
	}
	return form.Get("logout_token"), ""
}

// revoke records the logout: the session, or every token of the subject
// issued until now, of the issuer that verified the logout token (sid and
// sub are unique only per issuer), for as long as such tokens can live.
func (h *Handler) revoke(ctx context.Context, lt *core.LogoutToken) error {
	if lt.SessionID != "" {
		return h.cfg.Revoker.RevokeSession(ctx, lt.AdmittedBy, lt.SessionID, h.cfg.Now().Add(h.cfg.MaxTokenLifetime))
	}
	return h.cfg.Revoker.RevokeSubject(ctx, lt.AdmittedBy, lt.Subject, h.cfg.MaxTokenLifetime)
}

// refuse answers an error with the RFC 6749 error shape, and logs why.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, status int, desc string, err error) {
	code := "invalid_request"
	if status == http.StatusServiceUnavailable {
		code = "temporarily_unavailable"
		w.Header().Set("Retry-After", strconv.Itoa(int(RetryAfter/time.Second)))
	}
	attrs := []any{"status", status, "reason", desc}
	if err != nil {
		attrs = append(attrs, "check", core.CheckOf(err), "error", err.Error())
	}
	level := slog.LevelInfo
	if status == http.StatusServiceUnavailable { // ours to fix, not the sender's
		level = slog.LevelWarn
	}
	h.cfg.Logger.Log(r.Context(), level, "identsphere: back-channel logout refused", attrs...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, desc})
}
