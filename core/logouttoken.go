package core

import (
	"context"
	"slices"
	"time"

	"github.com/identsphere/identsphere-go/internal/jose"
	"github.com/identsphere/identsphere-go/internal/strictjson"
)

// BackChannelLogoutEvent is the member a logout token's events claim must
// hold (OpenID Connect Back-Channel Logout 1.0, section 2.4).
const BackChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// DefaultLogoutTokenMaxAge is how old (by iat) a logout token may be.
const DefaultLogoutTokenMaxAge = 5 * time.Minute

// LogoutToken is a verified OpenID Connect back-channel logout token: the
// provider says the session SessionID, or every session of Subject, has
// ended.
type LogoutToken struct {
	Issuer    string
	Subject   string // "" when the token names only a session
	SessionID string // "" when the token names only a subject
	ID        string // jti, never empty
	Audience  []string
	IssuedAt  time.Time
	// ExpiresAt is exp, zero when absent (a logout token needs none).
	ExpiresAt time.Time
	// AdmittedBy is the Config.Issuer of the issuer whose keys verified it.
	AdmittedBy string
}

// VerifyLogoutToken verifies a back-channel logout token as the provider
// posts it, with the same issuer keys and the same strict parser as access
// tokens (OpenID Connect Back-Channel Logout 1.0, section 2.6): a typ, when
// present, of "logout+jwt" (so an access token never passes as a logout
// token, nor the reverse); the signature; iss exactly the issuer's; aud
// containing clientID; iat present, not in the future and at most maxAge
// old (DefaultLogoutTokenMaxAge when zero); exp, when present, not past;
// jti present; events an object holding BackChannelLogoutEvent as an
// object; sub or sid present; nonce absent. It does not remember jti:
// refusing a replay is the receiver's job (see package backchannel).
func (v *Validator) VerifyLogoutToken(
	ctx context.Context,
	token, clientID string,
	maxAge time.Duration,
) (*LogoutToken, error) {
	if maxAge <= 0 {
		maxAge = DefaultLogoutTokenMaxAge
	}
	t, err := parseJWS(token, v.cfg.MaxTokenSize, kidIndex{})
	if err != nil {
		return nil, err
	}
	if t.typ != typeNone && t.typ != typeLogout {
		return nil, tokenErr(CheckTyp, "the token is not a logout token", nil)
	}
	payload, err := t.decodePayload()
	if err != nil {
		return nil, err
	}
	is := v.one
	if is == nil {
		if is, err = v.multi.selectIssuer(ctx, &t, payload); err != nil {
			return nil, err
		}
	}
	if _, err := is.checkSignature(ctx, &t); err != nil {
		return nil, err
	}
	lt, err := decodeLogoutClaims(payload)
	if err != nil {
		return nil, err
	}
	now, leeway := is.cfg.Now(), is.cfg.Leeway
	switch {
	case !is.acceptedIssuer(lt.Issuer):
		return nil, tokenErr(CheckIss, "the logout token's issuer is not accepted", nil)
	case !slices.Contains(lt.Audience, clientID):
		return nil, tokenErr(CheckAud, "the logout token is not for this client", nil)
	case lt.IssuedAt.IsZero():
		return nil, tokenErr(CheckIat, "the logout token has no iat", nil)
	case lt.IssuedAt.After(now.Add(leeway)):
		return nil, tokenErr(CheckIat, "the logout token is issued in the future", nil)
	case lt.IssuedAt.Add(maxAge + leeway).Before(now):
		return nil, tokenErr(CheckIat, "the logout token is too old", nil)
	case !lt.ExpiresAt.IsZero() && !now.Before(lt.ExpiresAt.Add(leeway)):
		return nil, tokenErr(CheckExp, "the logout token has expired", nil)
	case lt.ID == "":
		return nil, tokenErr(CheckJTI, "the logout token has no jti", nil)
	case !lt.event:
		return nil, tokenErr(CheckEvents, "the logout token's events claim holds no back-channel logout event", nil)
	case lt.Subject == "" && lt.SessionID == "":
		return nil, tokenErr(CheckSub, "the logout token names neither a subject nor a session", nil)
	case lt.nonce:
		return nil, tokenErr(CheckNonce, "a logout token must not carry a nonce", nil)
	}
	lt.AdmittedBy = is.cfg.Issuer
	return &lt.LogoutToken, nil
}

// logoutClaims is a LogoutToken as decoded, before its checks.
type logoutClaims struct {
	LogoutToken
	event bool // events holds BackChannelLogoutEvent as an object
	nonce bool
}

// decodeLogoutClaims reads a logout token's claims with the strict reader:
// registered claims of the wrong type make it invalid.
func decodeLogoutClaims(payload []byte) (*logoutClaims, error) {
	lt := &logoutClaims{}
	var bad Check // the registered claim of the wrong type: each is a Check
	err := strictjson.Members(payload, func(key, value []byte) error {
		ok := true
		switch string(key) {
		case "iss":
			lt.Issuer, ok = strictjson.String(value)
		case "sub":
			lt.Subject, ok = strictjson.String(value)
		case "sid":
			lt.SessionID, ok = strictjson.String(value)
		case "jti":
			lt.ID, ok = strictjson.String(value)
		case "aud":
			lt.Audience, ok = jsonAudience(value)
		case "iat":
			lt.IssuedAt, ok = jose.NumericDate(value)
		case "exp":
			lt.ExpiresAt, ok = jose.NumericDate(value)
		case "nonce":
			lt.nonce = true
		case "events":
			ok = len(value) > 0 && value[0] == '{'
			if ok {
				ev, found := member(value, BackChannelLogoutEvent)
				lt.event = found && len(ev) > 0 && ev[0] == '{'
			}
		}
		if !ok {
			bad = Check(key)
			return strictjson.ErrMalformed
		}
		return nil
	})
	if err != nil {
		if bad != "" {
			return nil, tokenErr(bad, "the "+string(bad)+" claim has the wrong type", nil)
		}
		return nil, tokenErr(CheckClaims, "the token claims are not a valid JSON object", nil)
	}
	return lt, nil
}
