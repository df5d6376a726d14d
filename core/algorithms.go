package core

import (
	"fmt"

	"github.com/identsphere/identsphere-go/internal/jose"
)

// MinRSABits is the smallest RSA modulus accepted from a JWKS.
const MinRSABits = jose.MinRSABits

// checkAlgorithms validates a configured allow-list against the algorithms
// internal/jose verifies.
func checkAlgorithms(algs []string) error {
	for _, a := range algs {
		if _, ok := jose.LookupAlgorithm(a); !ok {
			return fmt.Errorf(
				"identsphere: algorithm %q is not allowed (only asymmetric JWS algorithms are: none and HS* can never "+
					"be verified with a public JWKS)",
				a,
			)
		}
	}
	return nil
}
