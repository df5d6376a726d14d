package core

import (
	"errors"
	"fmt"
	"slices"

	"github.com/identsphere/identsphere-go/internal/jose"
)

// TokenProfile says which kind of JWT a Validator accepts. Tokens of other
// kinds are refused as invalid (401), so that one kind can never be played
// as another. Under every profile, a token that carries events (a Security
// Event Token, RFC 8417, such as a back-channel logout token, which needs
// no typ) is refused: it announces an event and grants nothing.
type TokenProfile int

const (
	// AccessTokens accepts JWT access tokens: a typ header absent, "JWT",
	// "at+jwt" or "application/at+jwt". Most providers' access tokens
	// carry no explicit type, so this is the default. A token that carries
	// at_hash or c_hash, claims only an OpenID Connect ID token has, is
	// refused: some providers give their ID tokens the API's audience, and
	// an ID token is no access token. (It is only a net: an ID token
	// without them still looks like an access token; RFC9068AccessTokens,
	// where the provider supports it, closes the gap.)
	AccessTokens TokenProfile = iota

	// RFC9068AccessTokens accepts only access tokens of the RFC 9068
	// profile: typ "at+jwt" (or "application/at+jwt") and the claims
	// client_id, iat and jti present. An OpenID Connect ID token (typ
	// "JWT" or none) can then never pass as an access token.
	RFC9068AccessTokens

	// IDTokens accepts OpenID Connect ID tokens instead of access tokens,
	// for a service that receives its users' ID tokens (a gateway in front
	// of its own front end). Config.Audience must hold exactly the client
	// id; per OIDC Core 3.1.3.7, a token whose aud has several values must
	// carry azp, and an azp present must be that client id or one of
	// Config.AuthorizedParties. A typ of "at+jwt" (an access token) is
	// refused.
	IDTokens
)

// The text names of the profiles (MarshalText, UnmarshalText): how a
// configuration file or an environment variable names them.
const (
	accessTokensName = "access"
	rfc9068Name      = "rfc9068"
	idTokensName     = "id"
)

// String returns the profile's name.
func (p TokenProfile) String() string {
	switch p {
	case AccessTokens:
		return "AccessTokens"
	case RFC9068AccessTokens:
		return "RFC9068AccessTokens"
	case IDTokens:
		return "IDTokens"
	}
	return fmt.Sprintf("TokenProfile(%d)", int(p))
}

// MarshalText returns the profile's text name: "access", "rfc9068" or
// "id", as a configuration file or an environment variable names it.
func (p TokenProfile) MarshalText() ([]byte, error) {
	switch p {
	case AccessTokens:
		return []byte(accessTokensName), nil
	case RFC9068AccessTokens:
		return []byte(rfc9068Name), nil
	case IDTokens:
		return []byte(idTokensName), nil
	}
	return nil, fmt.Errorf("identsphere: unknown token profile %v", p)
}

// UnmarshalText sets the profile from its text name (see MarshalText),
// compared exactly; anything else is an error that lists the names.
func (p *TokenProfile) UnmarshalText(text []byte) error {
	switch string(text) {
	case accessTokensName:
		*p = AccessTokens
	case rfc9068Name:
		*p = RFC9068AccessTokens
	case idTokensName:
		*p = IDTokens
	default:
		return fmt.Errorf(
			"identsphere: unknown token profile %q: want %s, %s or %s",
			text,
			accessTokensName,
			rfc9068Name,
			idTokensName,
		)
	}
	return nil
}

// tokenType is the kind a typ header declares, as internal/jose reads it.
type tokenType = jose.Type

const (
	typeNone   = jose.TypeNone   // no typ header
	typeJWT    = jose.TypeJWT    // "JWT", any case
	typeATJWT  = jose.TypeATJWT  // "at+jwt" or "application/at+jwt", any case
	typeLogout = jose.TypeLogout // "logout+jwt": a back-channel logout token
)

func (c Config) checkProfile() error {
	switch c.Profile {
	case AccessTokens, RFC9068AccessTokens:
		if len(c.AuthorizedParties) > 0 {
			return errors.New(
				"identsphere: Config.AuthorizedParties is checked only under Config.Profile IDTokens (access tokens " +
					"name their client in client_id: see RequiredClaims)",
			)
		}
	case IDTokens:
		if len(c.Audience) != 1 || c.SkipAudienceCheck {
			return errors.New("identsphere: Config.Profile IDTokens needs Config.Audience to be exactly the client id")
		}
		if slices.Contains(c.AuthorizedParties, "") {
			return errors.New("identsphere: Config.AuthorizedParties holds an empty string")
		}
	default:
		return fmt.Errorf("identsphere: unknown Config.Profile %v", c.Profile)
	}
	for name := range c.RequiredClaims {
		if name == "" {
			return errors.New("identsphere: Config.RequiredClaims has an empty claim name")
		}
	}
	return nil
}

// checkType refuses a typ header that the profile does not accept. It runs
// before the signature check: the header alone decides.
func (is *issuer) checkType(t tokenType) error {
	switch {
	case t == typeLogout:
		return tokenErr(CheckTyp, "the token is a logout token", nil)
	case is.cfg.Profile == RFC9068AccessTokens && t != typeATJWT:
		return is.kindErr(`the token is not an RFC 9068 access token (typ "at+jwt")`, AccessTokens)
	case is.cfg.Profile == IDTokens && t == typeATJWT:
		return is.kindErr("the token is an access token (typ at+jwt), not an ID token", AccessTokens)
	}
	return nil
}

// checkKind refuses a token whose claims say it is of a kind the profile
// does not take. It runs first on a token whose signature verified: a
// token of the wrong kind is refused as such, whatever its other claims.
func (is *issuer) checkKind(c *Claims) error {
	switch {
	case c.securityEvent:
		// A logout token needs no typ (Back-Channel Logout 1.0, 2.4), and
		// can carry the client id as aud and an exp: only its events claim
		// tells it apart. No profile takes a security event.
		return tokenErr(CheckTyp, "the token is a security event token (events), such as a logout token", nil)
	case c.idToken && is.cfg.Profile == AccessTokens:
		return is.kindErr("the token is an OpenID Connect ID token (at_hash or c_hash), not an access token", IDTokens)
	}
	return nil
}

// kindErr refuses a token for its kind. The description, sent to the
// client, names the token's kind; accepts is the profile that takes that
// kind, named for the refusal log only, as the operator sets it (see
// Config.ProfileSetting).
func (is *issuer) kindErr(description string, accepts TokenProfile) error {
	return &TokenError{Check: CheckTyp, Description: description, acceptedWith: is.cfg.profileSettingFor(accepts)}
}

// profileSettingFor is the setting that selects profile p, as the refusal
// log names it: "Config.Profile=core.IDTokens", or, with ProfileSetting
// set, that name and p's text name ("IDENTSPHERE_TOKEN_PROFILE=id").
func (c *Config) profileSettingFor(p TokenProfile) string {
	if c.ProfileSetting == "" {
		return "Config.Profile=core." + p.String()
	}
	name, _ := p.MarshalText() // p is one of the profiles above
	return c.ProfileSetting + "=" + string(name)
}

// checkProfileClaims runs the claim rules of the profile and
// Config.RequiredClaims on a token whose signature verified.
func (is *issuer) checkProfileClaims(c *Claims) error {
	switch is.cfg.Profile {
	case RFC9068AccessTokens:
		switch {
		case c.ClientID == "":
			return tokenErr(CheckClientID, "the token has no client_id (RFC 9068)", nil)
		case c.IssuedAt.IsZero():
			return tokenErr(CheckIat, "the token has no iat (RFC 9068)", nil)
		case c.ID == "":
			return tokenErr(CheckJTI, "the token has no jti (RFC 9068)", nil)
		}
	case IDTokens:
		switch {
		case len(c.Audience) > 1 && c.AuthorizedParty == "":
			return tokenErr(CheckAzp, "the ID token has several audiences and no azp", nil)
		case c.AuthorizedParty != "" && !is.authorizedParty(c.AuthorizedParty):
			return mismatch(CheckAzp, "the ID token was issued to a client this service does not trust (azp)", nil,
				append(slices.Clip(is.cfg.Audience), is.cfg.AuthorizedParties...), []string{c.AuthorizedParty})
		}
	}
	for name, want := range is.cfg.RequiredClaims {
		if got, ok := c.stringClaim(name); !ok || got != want {
			return tokenErr(CheckRequiredClaim, "the token's "+name+" claim does not have the required value", nil)
		}
	}
	return nil
}

// authorizedParty reports whether an ID token issued to client (azp) is
// trusted: it is this service's own client id, or one of
// Config.AuthorizedParties.
func (is *issuer) authorizedParty(client string) bool {
	return client == is.cfg.Audience[0] || slices.Contains(is.cfg.AuthorizedParties, client)
}

// audienceFromFallback returns the audience to check for a token without
// aud, per Config.AudienceFallback.
func (is *issuer) audienceFromFallback(c *Claims) ([]string, bool) {
	if is.cfg.AudienceFallback == "" || len(c.Audience) > 0 {
		return nil, false
	}
	s, ok := c.stringClaim(is.cfg.AudienceFallback)
	if !ok || s == "" {
		return nil, false
	}
	return []string{s}, true
}

// acceptedIssuer reports whether iss is the issuer or one of its aliases.
func (is *issuer) acceptedIssuer(iss string) bool {
	return iss == is.cfg.Issuer || slices.Contains(is.cfg.IssuerAliases, iss)
}
