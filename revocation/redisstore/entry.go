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

// entry is one denial, as stored and published. Times are unix
// milliseconds, already widened by core.MaxLeeway by the replica that
// issued it.
//
//	key:     <prefix><kind>:<id>
//	value:   <since> <until>
//	message: <kind> <since> <until> <id>
//
// since is the iat up to which a subject's tokens are denied (0 for jti
// and sid); until is when the denial ends. The id comes last in a message,
// so it may hold any byte.
type entry struct {
	kind  string
	id    string
	since int64
	until int64
}

func (e entry) key(prefix string) string { return prefix + e.kind + ":" + e.id }

func (e entry) value() string {
	return strconv.FormatInt(e.since, 10) + " " + strconv.FormatInt(e.until, 10)
}

func (e entry) message() string {
	return e.kind + " " + e.value() + " " + e.id
}

// pendingKey names e in the outbox: one pending write per denied id.
func (e entry) pendingKey() string { return e.kind + ":" + e.id }

// checkID reports what makes a kind and id unusable, if anything.
func checkID(kind, id string) error {
	switch {
	case kind != kindToken && kind != kindSession && kind != kindSubject:
		return errors.New("unknown kind")
	case id == "":
		return errors.New("empty id")
	case len(id) > maxIDLen:
		return errors.New("id too long")
	}
	return nil
}

// check reports what makes e unusable, if anything.
func (e entry) check() error {
	if err := checkID(e.kind, e.id); err != nil {
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
		d.DenyToken(e.id, until)
	case kindSession:
		d.DenySession(e.id, until)
	case kindSubject:
		d.DenySubject(e.id, time.UnixMilli(e.since), until)
	}
}

// parseKey reads kind and id from a key under prefix.
func parseKey(prefix, key string) (entry, error) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return entry{}, errors.New("not under the key prefix")
	}
	kind, id, ok := strings.Cut(rest, ":")
	if !ok {
		return entry{}, errors.New("no kind")
	}
	if err := checkID(kind, id); err != nil {
		return entry{}, err
	}
	return entry{kind: kind, id: id}, nil
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
	if len(m) > maxIDLen+64 {
		return entry{}, errors.New("too long")
	}
	kind, rest, ok := strings.Cut(m, " ")
	if !ok {
		return entry{}, errors.New("no kind")
	}
	since, rest, ok1 := strings.Cut(rest, " ")
	until, id, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 {
		return entry{}, errors.New("not kind, two times and an id")
	}
	e, err := parseValue(entry{kind: kind, id: id}, since+" "+until)
	if err != nil {
		return entry{}, err
	}
	return e, nil
}

// parseMillis reads a non-negative decimal without sign, spaces or leading
// zeros: strconv.ParseInt alone would take "+1" and "-0".
func parseMillis(s string) (int64, error) {
	if s == "" || len(s) > maxMillisDigits || (s[0] == '0' && len(s) > 1) {
		return 0, errors.New("not a time")
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not a time")
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
