package jose

// Part is the part of a token a refusal is about; core names its check
// after it.
type Part uint8

const (
	PartSize   Part = iota // the whole token is too large
	PartFormat             // the compact serialization or its base64url
	PartHeader             // the JOSE header
	PartProof              // a DPoP proof
)

// Error is why a token was refused while being read: the part at fault and
// a fixed phrase, safe to show to a client. The readers return the values
// below, never a new one, so that refusing costs no allocation.
type Error struct {
	Part   Part
	Reason string
}

func (e *Error) Error() string { return e.Reason }

func refusal(p Part, reason string) *Error { return &Error{Part: p, Reason: reason} }

// The refusals of compact JWS reading.
var (
	errTooLarge       = refusal(PartSize, "the token is too large")
	errNotCompact     = refusal(PartFormat, "the token is not a compact JWS of three parts")
	errJWE            = refusal(PartFormat, "encrypted tokens (JWE) are not accepted")
	errEmptyPart      = refusal(PartFormat, "the token has an empty part")
	errHeaderTooLarge = refusal(PartHeader, "the token header is too large")
	errSignatureSize  = refusal(PartFormat, "the token signature is too large")
	errNotBase64URL   = refusal(PartFormat, "the token is not base64url-encoded")
	errAlgNotString   = refusal(PartHeader, "the alg header is not a string")
	errKIDNotString   = refusal(PartHeader, "the kid header is not a string")
	errType           = refusal(PartHeader, "the token type is not accepted")
	errGraphNonce     = refusal(
		PartHeader,
		"the token has a nonce in its header (a Microsoft Graph token, meant for Graph and not for this API)",
	)
	errUnsupported     = refusal(PartHeader, "the token uses an unsupported header parameter")
	errTooManyMembers  = refusal(PartHeader, "the token header has too many members")
	errHeaderNotObject = refusal(PartHeader, "the token header is not a valid JSON object")
	errNoAlg           = refusal(PartHeader, "the token header has no alg")
)
