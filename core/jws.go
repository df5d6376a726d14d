package core

import "github.com/identsphere/identsphere-go/internal/jose"

// DefaultMaxTokenSize caps the size of a token before any parsing: real
// access tokens are a few KiB, and a cap keeps hostile inputs cheap.
const DefaultMaxTokenSize = 16 << 10

// jws is a token as core sees it once internal/jose has split it and read
// its header: the encoded parts (jose.JWS), and what the header says,
// with the kid resolved against the keys of the moment.
type jws struct {
	jose.JWS
	alg      string // canonical name of an algorithm this library knows, else as sent
	kid      string
	hasKID   bool
	knownKID bool // kid is in the key snapshot the header was read against
	typ      tokenType
}

// parseJWS splits a compact JWS and reads its header (internal/jose),
// refusing every shape this library does not accept before any key is
// looked up. kids lets a known kid be recognised without allocating.
func parseJWS(token string, maxSize int, kids kidIndex) (jws, error) {
	var buf jose.HeaderBuffer
	split, header, err := jose.Split(token, maxSize, &buf)
	if err != nil {
		return jws{}, fromJOSE(err)
	}
	h, err := jose.ReadHeader(header)
	if err != nil {
		return jws{}, fromJOSE(err)
	}
	t := jws{JWS: split, alg: h.Alg, hasKID: h.HasKID(), typ: h.Type}
	if !t.hasKID {
		return t, nil
	}
	if kid, ok := kids.lookup(h.RawKID(header)); ok {
		t.kid, t.knownKID = kid, true
	} else {
		t.kid = h.KID(header)
		_, t.knownKID = kids.lookup([]byte(t.kid))
	}
	return t, nil
}

// decodeSignature decodes the signature segment into buf.
func (t *jws) decodeSignature(buf *jose.SignatureBuffer) ([]byte, error) {
	sig, err := t.Signature(buf)
	if err != nil {
		return nil, fromJOSE(err)
	}
	return sig, nil
}

// decodePayload decodes the payload segment: only for a token whose
// signature verified, or to choose the issuer whose keys check it.
func (t *jws) decodePayload() ([]byte, error) {
	payload, err := t.Payload()
	if err != nil {
		return nil, fromJOSE(err)
	}
	return payload, nil
}

// joseCheck names the check of a part internal/jose refuses (its proof
// refusals are DPoPErrors: see fromJOSEProof).
func joseCheck(p jose.Part) Check {
	switch p {
	case jose.PartSize:
		return CheckSize
	case jose.PartHeader:
		return CheckHeader
	}
	return CheckFormat
}

// fromJOSE turns a refusal of internal/jose into the TokenError clients
// see: its part names the check, its fixed phrase is the description.
func fromJOSE(err error) error {
	e, ok := err.(*jose.Error)
	if !ok {
		return tokenErr(CheckFormat, "the token could not be read", err)
	}
	return tokenErr(joseCheck(e.Part), e.Reason, nil)
}

// kidIndex recognises known kids without allocating: those published in
// the one issuer's key set (snap), or, with several issuers, those of tokens
// verified before (names). Both may be nil.
type kidIndex struct {
	snap  *keySnapshot
	names *kidNames
}

// lookup returns the canonical string of a known kid.
func (x kidIndex) lookup(kid []byte) (string, bool) {
	if x.snap != nil {
		if k := x.snap.byKID[string(kid)]; k != nil {
			return k.kid, true
		}
		return "", false
	}
	if x.names != nil {
		if m := x.names.m.Load(); m != nil {
			s, ok := (*m)[string(kid)]
			return s, ok
		}
	}
	return "", false
}
