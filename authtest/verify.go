package authtest

import (
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// verify checks that token was signed by one of the issuer's published keys,
// with that key's algorithm, for this issuer and audience, and has not
// expired. It guards the refresh endpoint only; it is not a reference
// validator for relying parties.
func (i *Issuer) verify(token string) (jwt.MapClaims, error) {
	keys := i.publishedKeys()
	claims := jwt.MapClaims{}
	parser := jwt.NewParser(
		jwt.WithIssuer(i.url),
		jwt.WithAudience(i.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	)
	_, err := parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		for _, k := range keys {
			if k.kid != kid {
				continue
			}
			if t.Method.Alg() != k.alg {
				return nil, fmt.Errorf("alg %q does not match key %q", t.Method.Alg(), kid)
			}
			return k.public, nil
		}
		return nil, errors.New("no published key with this kid")
	})
	if err != nil {
		return nil, err
	}
	return claims, nil
}
