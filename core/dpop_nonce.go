package core

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"
)

// DefaultDPoPNoncePeriod is how long a DPoP nonce is current.
const DefaultDPoPNoncePeriod = 5 * time.Minute

// DPoPNonces issues and checks server nonces for DPoP proofs (RFC 9449
// section 9): a proof must then carry a nonce this server issued recently,
// so that a proof made in advance is useless. A nonce names its period and
// is authenticated with HMAC-SHA-256 under the secret: nothing is stored,
// and replicas given the same secret accept each other's nonces. A nonce is
// accepted during its period and the next.
type DPoPNonces struct {
	secret []byte
	period time.Duration
	now    func() time.Time
}

// NewDPoPNonces returns nonces keyed by secret (at least 32 random bytes;
// share it across replicas), rotating every period (<= 0:
// DefaultDPoPNoncePeriod). now is the clock (nil: time.Now).
func NewDPoPNonces(secret []byte, period time.Duration, now func() time.Time) (*DPoPNonces, error) {
	if len(secret) < 32 {
		return nil, errors.New("identsphere: NewDPoPNonces needs a secret of at least 32 bytes")
	}
	if period <= 0 {
		period = DefaultDPoPNoncePeriod
	}
	if now == nil {
		now = time.Now
	}
	return &DPoPNonces{secret: append([]byte(nil), secret...), period: period, now: now}, nil
}

// Current returns the nonce to send to clients now (the DPoP-Nonce header).
func (n *DPoPNonces) Current() string { return n.nonce(n.window(n.now())) }

// Valid reports whether nonce is the current or the previous period's.
func (n *DPoPNonces) Valid(nonce string) bool {
	w := n.window(n.now())
	return hmac.Equal([]byte(nonce), []byte(n.nonce(w))) || hmac.Equal([]byte(nonce), []byte(n.nonce(w-1)))
}

func (n *DPoPNonces) window(t time.Time) uint64 { return uint64(t.UnixNano() / int64(n.period)) }

func (n *DPoPNonces) nonce(w uint64) string {
	var buf [8 + sha256.Size]byte
	binary.BigEndian.PutUint64(buf[:8], w)
	mac := hmac.New(sha256.New, n.secret)
	mac.Write(buf[:8])
	copy(buf[8:], mac.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(buf[:])
}
