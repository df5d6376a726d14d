package interop_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"

	"github.com/identsphere/identsphere-go/chiauth"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/ginauth"
	"github.com/identsphere/identsphere-go/stdauth"
)

// A target is a service that checks the provider's tokens. Every target
// has the starters' routes:
//
//	GET  /api/me        a valid token             200 {"sub": ...}
//	GET  /api/admin     a token with scope admin  200
//	GET  /api/verified  a token whose email_verified is true
//	POST /api/transfer  a valid token the provider says is still active
//	                    (RFC 7662 introspection on every request)
type target struct {
	name  string
	url   string
	ready func(context.Context) error // nil once the provider's keys are loaded
}

// targetConfig is what every target is configured with.
type targetConfig struct {
	issuer string
	// tokenCache off makes every request check the signature against the
	// cached keys, rather than remember a token seen before.
	tokenCache bool
	// introspectionURL is the introspection endpoint, when the issuer's
	// discovery document names none (IDENTSPHERE_INTROSPECTION_URL).
	introspectionURL string
	// audience is the aud the targets accept; apiAudience when empty. An
	// ID-token gateway's is its front end's client id.
	audience string
	// profile is the kind of token the targets take
	// (IDENTSPHERE_TOKEN_PROFILE): access tokens (the default) or ID
	// tokens.
	profile core.TokenProfile
	// authorizedParties are the other clients whose ID tokens the targets
	// trust (IDENTSPHERE_AUTHORIZED_PARTIES).
	authorizedParties []string
}

// aud is the audience the targets accept.
func (c targetConfig) aud() string {
	if c.audience == "" {
		return apiAudience
	}
	return c.audience
}

// startTargets starts the five targets against the provider at
// cfg.issuer: stdauth, chiauth and ginauth in process, each with its own
// Validator and Introspector, and both starter binaries. It returns once
// every one has loaded the provider's keys.
func startTargets(t *testing.T, cfg targetConfig) []*target {
	t.Helper()
	trackSources()
	targets := []*target{
		inProcess(t, "stdauth", cfg, stdauthHandler),
		inProcess(t, "chiauth", cfg, chiauthHandler),
		inProcess(t, "ginauth", cfg, ginauthHandler),
	}
	env := []string{
		"IDENTSPHERE_URL=" + cfg.issuer,
		"IDENTSPHERE_AUDIENCE=" + cfg.aud(),
		"IDENTSPHERE_CLIENT_ID=" + apiClient.ID,
		"IDENTSPHERE_CLIENT_SECRET=" + apiClient.Secret,
	}
	if !cfg.tokenCache {
		env = append(env, "IDENTSPHERE_TOKEN_CACHE=off")
	}
	if cfg.introspectionURL != "" {
		env = append(env, "IDENTSPHERE_INTROSPECTION_URL="+cfg.introspectionURL)
	}
	if cfg.profile != core.AccessTokens {
		name, err := cfg.profile.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, "IDENTSPHERE_TOKEN_PROFILE="+string(name))
	}
	if len(cfg.authorizedParties) > 0 {
		env = append(env, "IDENTSPHERE_AUTHORIZED_PARTIES="+strings.Join(cfg.authorizedParties, ","))
	}
	for _, name := range starters {
		s := startStarter(t, name, env...)
		targets = append(targets, &target{name: name, url: s.url, ready: s.waitReady})
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	for _, tg := range targets {
		if err := tg.ready(ctx); err != nil {
			t.Fatalf("%s: the provider's keys did not load: %v", tg.name, err)
		}
	}
	return targets
}

// inProcess serves one adapter's routes on a loopback httptest server.
func inProcess(
	t *testing.T,
	name string,
	cfg targetConfig,
	handler func(*core.Validator, core.FreshnessChecker) http.Handler,
) *target {
	t.Helper()
	v, err := core.New(t.Context(), core.Config{
		Issuer:            cfg.issuer,
		Audience:          []string{cfg.aud()},
		Profile:           cfg.profile,
		AuthorizedParties: cfg.authorizedParties,
		DisableCache:      !cfg.tokenCache,
		Logger:            testLogger(t, name),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	// The endpoint is the one discovery names; the credentials are the
	// resource server's, sent as client_secret_basic.
	in, err := core.NewIntrospector(v, core.IntrospectionConfig{
		Endpoint:     cfg.introspectionURL,
		ClientID:     apiClient.ID,
		ClientSecret: apiClient.Secret,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	srv := httptest.NewServer(handler(v, in))
	t.Cleanup(srv.Close)
	return &target{name: name, url: srv.URL, ready: v.WaitReady}
}

// profile is what /api/me answers, in every target.
type profile struct {
	Subject string   `json:"sub"`
	Scopes  []string `json:"scopes,omitempty"`
}

func writeProfile(w http.ResponseWriter, c *core.Claims) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(profile{Subject: c.Subject, Scopes: c.Scopes})
}

func stdauthHandler(v *core.Validator, fresh core.FreshnessChecker) http.Handler {
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.ClaimsFrom(r.Context())
		writeProfile(w, c)
	})
	auth := stdauth.Middleware(v)
	mux := http.NewServeMux()
	mux.Handle("GET /api/me", auth(me))
	mux.Handle("GET /api/admin", auth(stdauth.RequireScope("admin")(me)))
	mux.Handle("GET /api/verified", auth(stdauth.RequireVerifiedEmail()(me)))
	mux.Handle("POST /api/transfer", auth(stdauth.RequireFresh(fresh)(me)))
	return mux
}

func chiauthHandler(v *core.Validator, fresh core.FreshnessChecker) http.Handler {
	me := func(w http.ResponseWriter, r *http.Request) {
		c, _ := chiauth.Claims(r)
		writeProfile(w, c)
	}
	r := chi.NewRouter()
	r.Group(func(r chi.Router) {
		r.Use(chiauth.Middleware(v))
		r.Get("/api/me", me)
		r.With(chiauth.RequireScope("admin")).Get("/api/admin", me)
		r.With(chiauth.RequireVerifiedEmail()).Get("/api/verified", me)
		r.With(chiauth.RequireFresh(fresh)).Post("/api/transfer", me)
	})
	return r
}

func ginauthHandler(v *core.Validator, fresh core.FreshnessChecker) http.Handler {
	me := func(c *gin.Context) {
		claims, _ := ginauth.Claims(c)
		writeProfile(c.Writer, claims)
	}
	e := gin.New()
	api := e.Group("/api", ginauth.Middleware(v))
	api.GET("/me", me)
	api.GET("/admin", ginauth.RequireScope("admin"), me)
	api.GET("/verified", ginauth.RequireVerifiedEmail(), me)
	api.POST("/transfer", ginauth.RequireFresh(fresh), me)
	return e
}

// testLogger is a Validator's logger: its lines are shown when the test
// fails. It never sees a token (core logs none).
func testLogger(t *testing.T, name string) *slog.Logger {
	buf := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s validator logs:\n%s", name, buf)
		}
	})
	return slog.New(slog.NewTextHandler(buf, nil))
}
