package redisstore

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/identsphere/identsphere-go/core"
)

// The kinds of denial, as they appear in keys and messages.
const (
	kindToken   = "jti"
	kindSession = "sid"
	kindSubject = "sub"
)

// maxIDLen bounds a jti, sid or sub: they come from tokens, which are at
// most core.DefaultMaxTokenSize. Longer ones read from Redis are garbage.
const maxIDLen = core.DefaultMaxTokenSize

// maxMillisDigits bounds the times read from Redis: 15 decimal digits
// (unix milliseconds until the year 33658) are exact in the doubles of the
// write script's Lua.
const maxMillisDigits = 15

// formatVersion starts every key (after the prefix) and every message:
// the format names the issuer of each denial. Keys and messages of the
// first format, which named none (a denial of any issuer's sid), are
// ignored: applied, they would deny other issuers' tokens.
const formatVersion = "v2"

// errFirstFormat marks a key or message of the first format.
var errFirstFormat = errors.New("written by an earlier version, without an issuer (format v1): ignored")

// entry is one denial of an issuer's jti, sid or sub, as stored and
// published. Times are unix milliseconds, already widened by
// core.MaxLeeway by the replica that issued it.
//
//	ref:     <kind>:<len(issuer)>:<issuer>:<id>
//	key:     <prefix>v2:<ref>
//	value:   <since> <until>
//	message: v2 <since> <until> <ref>
//
// The issuer's length, in bytes, comes before it, since both issuer and
// id may hold ':'; the id comes last, so it may hold any byte. since is
// the iat up to which a subject's tokens are denied (0 for jti and sid);
// until is when the denial ends.
type entry struct {
	kind   string
	issuer string
	id     string
	since  int64
	until  int64
}

func (e entry) ref() string {
	return e.kind + ":" + strconv.Itoa(len(e.issuer)) + ":" + e.issuer + ":" + e.id
}

func (e entry) key(prefix string) string { return prefix + formatVersion + ":" + e.ref() }

func (e entry) value() string {
	return strconv.FormatInt(e.since, 10) + " " + strconv.FormatInt(e.until, 10)
}

func (e entry) message() string {
	return formatVersion + " " + e.value() + " " + e.ref()
}

// pendingKey names e in the outbox: one pending write per denied id.
func (e entry) pendingKey() string { return e.ref() }

// checkID reports what makes a kind, issuer and id unusable, if anything.
func checkID(kind, issuer, id string) error {
	switch {
	case kind != kindToken && kind != kindSession && kind != kindSubject:
		return errors.New("unknown kind")
	case issuer == "":
		return errors.New("empty issuer")
	case len(issuer) > maxIDLen:
		return errors.New("issuer too long")
	case id == "":
		return errors.New("empty id")
	case len(id) > maxIDLen:
		return errors.New("id too long")
	}
	return nil
}

// check reports what makes e unusable, if anything.
func (e entry) check() error {
	if err := checkID(e.kind, e.issuer, e.id); err != nil {
		return err
	}
	switch {
	case e.until <= 0 || e.since < 0 || e.since > e.until:
		return errors.New("times out of order")
	case e.kind != kindSubject && e.since != 0:
		return errors.New("since set on a jti or sid denial")
	}
	return nil
}

// apply puts e into d: the same lookup as a Denylist of one instance.
func (e entry) apply(d *core.Denylist) {
	until := time.UnixMilli(e.until)
	switch e.kind {
	case kindToken:
		d.DenyToken(e.issuer, e.id, until)
	case kindSession:
		d.DenySession(e.issuer, e.id, until)
	case kindSubject:
		d.DenySubject(e.issuer, e.id, time.UnixMilli(e.since), until)
	}
}

// parseRef reads kind, issuer and id.
func parseRef(ref string) (entry, error) {
	kind, rest, ok := strings.Cut(ref, ":")
	if !ok {
		return entry{}, errors.New("no kind")
	}
	size, rest, ok := strings.Cut(rest, ":")
	if !ok {
		return entry{}, errors.New("no issuer")
	}
	n, err := parseDecimal(size, maxMillisDigits)
	if err != nil || n >= int64(len(rest)) || rest[n] != ':' {
		return entry{}, errors.New("the issuer's length is wrong")
	}
	e := entry{kind: kind, issuer: rest[:n], id: rest[n+1:]}
	return e, checkID(e.kind, e.issuer, e.id)
}

// isFirstFormat reports a key (after the prefix) or message of the first
// format, which began with the kind.
func isFirstFormat(s string) bool {
	for _, kind := range []string{kindToken, kindSession, kindSubject} {
		if len(s) > len(kind) && s[:len(kind)] == kind && (s[len(kind)] == ':' || s[len(kind)] == ' ') {
			return true
		}
	}
	return false
}

// parseKey reads kind, issuer and id from a key under prefix.
func parseKey(prefix, key string) (entry, error) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return entry{}, errors.New("not under the key prefix")
	}
	ref, ok := strings.CutPrefix(rest, formatVersion+":")
	if !ok {
		if isFirstFormat(rest) {
			return entry{}, errFirstFormat
		}
		return entry{}, errors.New("no format version")
	}
	return parseRef(ref)
}

// parseValue reads a key's value into e.
func parseValue(e entry, v string) (entry, error) {
	since, until, ok := strings.Cut(v, " ")
	if !ok {
		return e, errors.New("not two times")
	}
	var err error
	if e.since, err = parseMillis(since); err != nil {
		return e, err
	}
	if e.until, err = parseMillis(until); err != nil {
		return e, err
	}
	return e, e.check()
}

// parseMessage reads a published denial.
func parseMessage(m string) (entry, error) {
	if len(m) > 2*maxIDLen+64 {
		return entry{}, errors.New("too long")
	}
	rest, ok := strings.CutPrefix(m, formatVersion+" ")
	if !ok {
		if isFirstFormat(m) {
			return entry{}, errFirstFormat
		}
		return entry{}, errors.New("no format version")
	}
	since, rest, ok1 := strings.Cut(rest, " ")
	until, ref, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 {
		return entry{}, errors.New("not two times and a denial")
	}
	e, err := parseRef(ref)
	if err != nil {
		return entry{}, err
	}
	return parseValue(e, since+" "+until)
}

// parseMillis reads a time: a non-negative decimal of at most
// maxMillisDigits digits.
func parseMillis(s string) (int64, error) {
	n, err := parseDecimal(s, maxMillisDigits)
	if err != nil {
		return 0, errors.New("not a time")
	}
	return n, nil
}

// parseDecimal reads a non-negative decimal of at most digits digits,
// without sign, spaces or leading zeros: strconv.ParseInt alone would take
// "+1" and "-0".
func parseDecimal(s string, digits int) (int64, error) {
	if s == "" || len(s) > digits || (s[0] == '0' && len(s) > 1) {
		return 0, errors.New("not a decimal")
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not a decimal")
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// ceilMillis is t in unix milliseconds, rounded up: a denial stored to the
// millisecond must never end, nor stop covering an iat, earlier than asked.
func ceilMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Sub(time.UnixMilli(ms)) > 0 {
		ms++
	}
	return ms
}
