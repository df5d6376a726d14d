// Package jose reads the JOSE objects a token verifier meets before it
// trusts anything: compact JWS tokens (split, base64url-decoded, header
// read), the table of signature algorithms and the keys each may be used
// with, JWK and JWKS documents and the checks every public key passes, and
// the header, key and claims of DPoP proofs.
//
// It decides only what a well-formed object says, never whether to trust
// it: which issuer, which key, whether a token is expired or a proof
// replayed are decisions of package core, which calls this one. Everything
// here runs on hostile input before any signature has verified, so each
// reader is bounded (sizes and member counts are capped before parsing),
// linear in its input, reads JSON only through internal/strictjson, and
// refuses with a fixed phrase that is safe to show to a client (an *Error,
// or a Key's Reject) rather than echoing what it read.
package jose
