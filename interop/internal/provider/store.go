package provider

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// AccessTokenLifetime is how long the provider's access tokens live.
const AccessTokenLifetime = 5 * time.Minute

// Client is an OAuth client registered at the provider. Its access tokens
// are JWTs (op.AccessTokenTypeJWT) signed with the provider's key.
type Client struct {
	ID string
	// Secret authenticates a confidential client (client_secret_basic, or
	// client_secret_post); empty for a public client, which must use PKCE.
	Secret string
	// Audience is the aud of the client's tokens. Tokens from the
	// authorization code flow carry the client id first, as OpenID Connect
	// wants of ID tokens, then these.
	Audience []string
	// RedirectURIs for the authorization code flow (loopback for a public
	// client: any port is accepted, RFC 8252).
	RedirectURIs []string
	// Grants the client may use.
	Grants []oidc.GrantType
	// Scopes the client may ask for beyond the OpenID Connect ones; they are
	// granted as asked and carried in the access token's scope claim.
	Scopes []string
	// UserinfoInIDToken puts the user's claims for the granted scopes
	// (email and email_verified for scope email...) in the ID token even
	// though an access token is issued too (op.Client's
	// IDTokenUserinfoClaimsAssertion): what a front end whose API gateway
	// reads the ID token asks for.
	UserinfoInIDToken bool
}

// Store is the provider's storage: the example's in-memory storage, with
// the clients, the client credentials grant and the tokens answered here.
type Store struct {
	*storage.Storage

	clients map[string]*Client

	mu      sync.Mutex
	tokens  map[string]*token        // access tokens, by id (their jti)
	refresh map[string]*refreshToken // by the refresh token itself
}

var (
	_ op.Storage                  = (*Store)(nil)
	_ op.ClientCredentialsStorage = (*Store)(nil)
	_ exampleop.Storage           = (*Store)(nil)
)

func newStore(base *storage.Storage, clients []Client) (*Store, error) {
	s := &Store{
		Storage: base,
		clients: map[string]*Client{},
		tokens:  map[string]*token{},
		refresh: map[string]*refreshToken{},
	}
	for i := range clients {
		c := clients[i]
		if c.ID == "" {
			return nil, errors.New("provider: a client has no id")
		}
		if _, dup := s.clients[c.ID]; dup {
			return nil, fmt.Errorf("provider: client %q registered twice", c.ID)
		}
		s.clients[c.ID] = &c
	}
	return s, nil
}

func (s *Store) signingKeyID() string {
	k, _ := s.Storage.SigningKey(context.Background())
	return k.ID()
}

// client returns a registered client, or nil.
func (s *Store) client(id string) *Client { return s.clients[id] }

// GetClientByClientID implements op.Storage.
func (s *Store) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c := s.client(id)
	if c == nil {
		return nil, errors.New("client not found")
	}
	return opClient{c}, nil
}

// AuthorizeClientIDSecret implements op.Storage: the token, introspection
// and revocation endpoints authenticate confidential clients with it.
func (s *Store) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c := s.client(id)
	if c == nil || c.Secret == "" || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return errors.New("invalid client or secret")
	}
	return nil
}

// ClientCredentials implements op.ClientCredentialsStorage.
func (s *Store) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	if err := s.AuthorizeClientIDSecret(ctx, id, secret); err != nil {
		return nil, err
	}
	return opClient{s.client(id)}, nil
}

// ClientCredentialsTokenRequest implements op.ClientCredentialsStorage: the
// token is the client's own (sub is its id), for its audiences.
func (s *Store) ClientCredentialsTokenRequest(_ context.Context, id string, scopes []string) (op.TokenRequest, error) {
	c := s.client(id)
	if c == nil {
		return nil, errors.New("client not found")
	}
	granted, err := c.grant(scopes)
	if err != nil {
		return nil, err
	}
	return &clientRequest{clientID: id, audience: slices.Clone(c.Audience), scopes: granted}, nil
}

// grant keeps the scopes the client may have, refusing any other.
func (c *Client) grant(scopes []string) ([]string, error) {
	for _, sc := range scopes {
		if !slices.Contains(c.Scopes, sc) {
			return nil, oidc.ErrInvalidScope().WithDescription("scope %q is not allowed for this client", sc)
		}
	}
	return slices.Clone(scopes), nil
}

// clientRequest is a client credentials token request.
type clientRequest struct {
	clientID string
	audience []string
	scopes   []string
}

func (r *clientRequest) GetSubject() string    { return r.clientID }
func (r *clientRequest) GetAudience() []string { return r.audience }
func (r *clientRequest) GetScopes() []string   { return r.scopes }

// authRequest is the example's authorization request with the client's
// audiences.
type authRequest struct {
	*storage.AuthRequest
	audience []string
}

func (a authRequest) GetAudience() []string { return a.audience }

func (s *Store) wrap(r op.AuthRequest, err error) (op.AuthRequest, error) {
	if err != nil {
		return nil, err
	}
	ar, ok := r.(*storage.AuthRequest)
	if !ok {
		return nil, fmt.Errorf("unexpected authorization request type %T", r)
	}
	aud := []string{ar.ApplicationID}
	if c := s.client(ar.ApplicationID); c != nil {
		aud = append(aud, c.Audience...)
	}
	return authRequest{AuthRequest: ar, audience: aud}, nil
}

// CreateAuthRequest implements op.Storage.
func (s *Store) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	return s.wrap(s.Storage.CreateAuthRequest(ctx, req, userID))
}

// AuthRequestByID implements op.Storage.
func (s *Store) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	return s.wrap(s.Storage.AuthRequestByID(ctx, id))
}

// AuthRequestByCode implements op.Storage.
func (s *Store) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	return s.wrap(s.Storage.AuthRequestByCode(ctx, code))
}

// token is an access token the provider issued. It is also the
// op.IDTokenRequest from which userinfo is filled.
type token struct {
	id, clientID, subject string
	audience, scopes      []string
	amr                   []string
	authTime              time.Time
	expires               time.Time
	refreshToken          string // the refresh token issued with it, if any
}

func (t *token) GetAMR() []string       { return t.amr }
func (t *token) GetAudience() []string  { return t.audience }
func (t *token) GetAuthTime() time.Time { return t.authTime }
func (t *token) GetClientID() string    { return t.clientID }
func (t *token) GetScopes() []string    { return t.scopes }
func (t *token) GetSubject() string     { return t.subject }

// refreshToken is a refresh token; its value is its id.
type refreshToken struct {
	value                 string
	clientID, subject     string
	audience, scopes, amr []string
	authTime              time.Time
	accessToken           string // the id of the access token issued with it
}

// refreshRequest is what op checks and exchanges for a refresh token.
type refreshRequest struct {
	rt     refreshToken // a copy
	scopes []string
}

func (r *refreshRequest) GetAMR() []string             { return r.rt.amr }
func (r *refreshRequest) GetAudience() []string        { return r.rt.audience }
func (r *refreshRequest) GetAuthTime() time.Time       { return r.rt.authTime }
func (r *refreshRequest) GetClientID() string          { return r.rt.clientID }
func (r *refreshRequest) GetScopes() []string          { return r.scopes }
func (r *refreshRequest) GetSubject() string           { return r.rt.subject }
func (r *refreshRequest) SetCurrentScopes(sc []string) { r.scopes = sc }

// newToken records an access token for req; the caller holds s.mu.
func (s *Store) newToken(req op.TokenRequest) (*token, error) {
	t := &token{
		id:       uuid.NewString(),
		subject:  req.GetSubject(),
		audience: slices.Clone(req.GetAudience()),
		scopes:   slices.Clone(req.GetScopes()),
		expires:  time.Now().Add(AccessTokenLifetime),
	}
	switch r := req.(type) {
	case *clientRequest:
		t.clientID = r.clientID
	case authRequest:
		t.clientID, t.amr, t.authTime = r.ApplicationID, r.GetAMR(), r.GetAuthTime()
	case *refreshRequest:
		t.clientID, t.amr, t.authTime = r.rt.clientID, r.rt.amr, r.rt.authTime
	default:
		return nil, fmt.Errorf("unsupported token request %T", req)
	}
	s.tokens[t.id] = t
	return t, nil
}

// CreateAccessToken implements op.Storage. The id becomes the JWT's jti.
func (s *Store) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.newToken(req)
	if err != nil {
		return "", time.Time{}, err
	}
	return t.id, t.expires, nil
}

// CreateAccessAndRefreshTokens implements op.Storage: the authorization
// code flow with offline_access, and the refresh_token grant, which rotates
// the refresh token and retires the access token issued with the old one.
func (s *Store) CreateAccessAndRefreshTokens(
	_ context.Context,
	req op.TokenRequest,
	current string,
) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if current != "" {
		old, ok := s.refresh[current]
		if !ok {
			return "", "", time.Time{}, op.ErrInvalidRefreshToken
		}
		delete(s.refresh, current)
		delete(s.tokens, old.accessToken)
	}
	t, err := s.newToken(req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	rt := &refreshToken{
		value:       uuid.NewString(),
		clientID:    t.clientID,
		subject:     t.subject,
		audience:    t.audience,
		scopes:      t.scopes,
		amr:         t.amr,
		authTime:    t.authTime,
		accessToken: t.id,
	}
	t.refreshToken = rt.value
	s.refresh[rt.value] = rt
	return t.id, rt.value, t.expires, nil
}

// TokenRequestByRefreshToken implements op.Storage.
func (s *Store) TokenRequestByRefreshToken(_ context.Context, value string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refresh[value]
	if !ok {
		return nil, errors.New("invalid refresh_token")
	}
	return &refreshRequest{rt: *rt, scopes: rt.scopes}, nil
}

// GetRefreshTokenInfo implements op.Storage.
func (s *Store) GetRefreshTokenInfo(_ context.Context, _ string, value string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refresh[value]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return rt.subject, rt.value, nil
}

// RevokeToken implements op.Storage (RFC 7009): an access token by its id
// (op has read the jti of the JWT), or a refresh token, which takes its
// access token along. Only the client the token was issued to may revoke
// it; an unknown token is not an error.
func (s *Store) RevokeToken(_ context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[tokenOrID]; ok {
		if t.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.tokens, tokenOrID)
		return nil
	}
	if rt, ok := s.refresh[tokenOrID]; ok {
		if rt.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.refresh, tokenOrID)
		delete(s.tokens, rt.accessToken)
	}
	return nil
}

// TerminateSession implements op.Storage: every token of the user at the
// client goes.
func (s *Store) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.tokens {
		if t.subject == userID && t.clientID == clientID {
			delete(s.tokens, id)
			delete(s.refresh, t.refreshToken)
		}
	}
	return nil
}

// liveToken returns the access token with id if it is neither revoked nor
// expired.
func (s *Store) liveToken(id string) (*token, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[id]
	if !ok || !time.Now().Before(t.expires) {
		return nil, false
	}
	return t, true
}

// SetUserinfoFromToken implements op.Storage.
func (s *Store) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	t, ok := s.liveToken(tokenID)
	if !ok {
		return errors.New("token is invalid or has expired")
	}
	return s.SetUserinfoFromRequest(ctx, info, t, t.scopes)
}

// SetIntrospectionFromToken implements op.Storage (RFC 7662): active only
// while the token lives and only to a client among its audiences, as a
// resource server that introspects the tokens meant for it. Any error
// makes op answer {"active":false}.
func (s *Store) SetIntrospectionFromToken(
	_ context.Context,
	resp *oidc.IntrospectionResponse,
	tokenID, subject, clientID string,
) error {
	t, ok := s.liveToken(tokenID)
	switch {
	case !ok:
		return errors.New("token is invalid or has expired")
	case t.subject != subject:
		return errors.New("token does not match its record")
	case !slices.Contains(t.audience, clientID):
		return errors.New("token is not meant for this client")
	}
	resp.Subject = t.subject
	resp.ClientID = t.clientID
	resp.Audience = slices.Clone(t.audience)
	resp.Scope = slices.Clone(t.scopes)
	resp.Expiration = oidc.FromTime(t.expires)
	resp.JWTID = t.id
	resp.TokenType = oidc.BearerToken
	return nil
}

// GetPrivateClaimsFromScopes implements op.Storage: the granted scopes go
// into the JWT access token as its scope claim (RFC 9068 section 2.2.3),
// which op does not add by itself.
func (s *Store) GetPrivateClaimsFromScopes(_ context.Context, _, _ string, scopes []string) (map[string]any, error) {
	if len(scopes) == 0 {
		return nil, nil
	}
	return map[string]any{"scope": strings.Join(scopes, " ")}, nil
}

// opClient is a Client as op sees it.
type opClient struct{ c *Client }

var _ op.Client = opClient{}

func (o opClient) GetID() string                    { return o.c.ID }
func (o opClient) RedirectURIs() []string           { return o.c.RedirectURIs }
func (o opClient) PostLogoutRedirectURIs() []string { return nil }

func (o opClient) ApplicationType() op.ApplicationType {
	if o.c.Secret == "" {
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}

func (o opClient) AuthMethod() oidc.AuthMethod {
	if o.c.Secret == "" {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (o opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (o opClient) GrantTypes() []oidc.GrantType { return o.c.Grants }

// LoginURL is the example server's login form.
func (o opClient) LoginURL(id string) string { return "/login/username?authRequestID=" + id }

func (o opClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }
func (o opClient) IDTokenLifetime() time.Duration      { return time.Hour }
func (o opClient) DevMode() bool                       { return false }
func (o opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}
func (o opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}
func (o opClient) IsScopeAllowed(scope string) bool     { return slices.Contains(o.c.Scopes, scope) }
func (o opClient) IDTokenUserinfoClaimsAssertion() bool { return o.c.UserinfoInIDToken }
func (o opClient) ClockSkew() time.Duration             { return 0 }
