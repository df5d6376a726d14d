package redisstore

import (
	"strings"
	"testing"
	"time"
)

func TestEntryWireFormat(t *testing.T) {
	e := entry{kind: kindSubject, id: "user 7\x00é", since: 1_700_000_000_123, until: 1_700_000_060_123}
	if got, want := e.message(), "sub 1700000000123 1700000060123 user 7\x00é"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	back, err := parseMessage(e.message())
	if err != nil || back != e {
		t.Fatalf("parseMessage(message()) = %+v, %v; want %+v", back, err, e)
	}
	k, err := parseKey("p:", e.key("p:"))
	if err != nil || k.kind != e.kind || k.id != e.id {
		t.Fatalf("parseKey(key()) = %+v, %v", k, err)
	}
	v, err := parseValue(k, e.value())
	if err != nil || v != e {
		t.Fatalf("parseValue(value()) = %+v, %v", v, err)
	}
}

func TestParseRefusesWhatItDidNotWrite(t *testing.T) {
	for _, m := range []string{
		"", "sid", "sid 0 5", "sid 0 5 ", "sid 00 5 s", "sid 0 05 s", "sid +0 5 s", "sid -0 5 s", "sid 0 -5 s",
		"sid 0 0 s", "sid 1 5 s", "sub 6 5 u", "jti 0 1234567890123456 j", "xyz 0 5 s", "sid 0  5 s",
		"sid 0 5\ts", "sid 0x1 5 s", "sid 0 5 " + strings.Repeat("s", maxIDLen+1),
	} {
		if e, err := parseMessage(m); err == nil {
			t.Errorf("parseMessage(%.40q) = %+v, want an error", m, e)
		}
	}
	for _, k := range []string{"q:sid:s", "p:", "p:sid", "p:sid:", "p:SID:s", "p:jti"} {
		if e, err := parseKey("p:", k); err == nil {
			t.Errorf("parseKey(%q) = %+v, want an error", k, e)
		}
	}
}

// Whatever arrives on the channel: no panic, and what is accepted is
// exactly what the Store would have written.
func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{"sid 0 1700000000000 s-1", "sub 1 2 u", "jti 0 5 j k", "", "sid", "sid 0 1 \x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, m string) {
		e, err := parseMessage(m)
		if err != nil {
			return
		}
		if e.check() != nil || e.message() != m {
			t.Fatalf("accepted %q as %+v, which writes %q", m, e, e.message())
		}
	})
}

func TestCeilMillisNeverEndsEarly(t *testing.T) {
	base := time.UnixMilli(1_700_000_000_000)
	for _, d := range []time.Duration{0, time.Nanosecond, time.Millisecond - 1, time.Millisecond} {
		got := time.UnixMilli(ceilMillis(base.Add(d)))
		if got.Before(base.Add(d)) || got.Sub(base.Add(d)) >= time.Millisecond {
			t.Errorf("ceilMillis(+%v) = %v", d, got.Sub(base))
		}
	}
}

func TestGlobEscape(t *testing.T) {
	if got, want := globEscape(`a*b?c[d]e\f`), `a\*b\?c\[d\]e\\f`; got != want {
		t.Fatalf("globEscape = %q, want %q", got, want)
	}
	if got := globEscape("\xff:"); got != "\xff:" {
		t.Fatalf("invalid UTF-8 changed: %q", got)
	}
}

func TestOutboxMergesAndBounds(t *testing.T) {
	o := outbox{max: 2}
	a := entry{kind: kindSession, id: "a", until: 10}
	if !o.add(a) || !o.add(entry{kind: kindToken, id: "b", until: 10}) {
		t.Fatal("refused within its bound")
	}
	if o.add(entry{kind: kindToken, id: "c", until: 10}) {
		t.Fatal("grew past its bound")
	}
	if !o.add(entry{kind: kindSession, id: "a", until: 20}) || o.len() != 2 {
		t.Fatal("a queued id was not merged")
	}
	o.remove(a) // superseded by the merge: stays
	if o.len() != 2 {
		t.Fatal("removed an entry changed since it was read")
	}
	o.sweep(15) // b ended at 10
	if got := o.snapshot(); len(got) != 1 || got[0].until != 20 {
		t.Fatalf("after the sweep: %+v", got)
	}
}
