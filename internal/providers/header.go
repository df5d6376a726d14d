package providers

import "github.com/identsphere/identsphere-go/authtest"

// withoutTyp mints a header without typ, {"alg":...,"kid":...}, as Okta's
// custom authorization servers, AWS Cognito and Dex do.
func withoutTyp() authtest.MintOption { return authtest.WithHeader("typ", nil) }
