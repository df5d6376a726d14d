package authtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"math/big"
)

// jwk is the public JSON Web Key (RFC 7517, RFC 7518 section 6, RFC 8037)
// of a signing key. It has no field for private material, so nothing private
// can be published by mistake.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Crv string `json:"crv,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// jwkSet is the document served at the JWKS endpoint.
type jwkSet struct {
	Keys []jwk `json:"keys"`
}

var b64 = base64.RawURLEncoding

// publicJWK encodes pub as a signature-use JWK.
func publicJWK(kid, alg string, pub crypto.PublicKey) (jwk, error) {
	j := jwk{Kid: kid, Use: "sig", Alg: alg}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		j.Kty = "RSA"
		j.N = b64.EncodeToString(p.N.Bytes())
		j.E = b64.EncodeToString(big.NewInt(int64(p.E)).Bytes())
	case *ecdsa.PublicKey:
		point, err := p.Bytes() // 0x04 || X || Y, each padded to the field size
		if err != nil {
			return jwk{}, err
		}
		size := (len(point) - 1) / 2
		j.Kty = "EC"
		j.Crv = p.Curve.Params().Name // "P-256", "P-384", "P-521" match JOSE names
		j.X = b64.EncodeToString(point[1 : 1+size])
		j.Y = b64.EncodeToString(point[1+size:])
	case ed25519.PublicKey:
		j.Kty = "OKP"
		j.Crv = "Ed25519"
		j.X = b64.EncodeToString(p)
	default:
		return jwk{}, fmt.Errorf("unsupported public key type %T", pub)
	}
	return j, nil
}
