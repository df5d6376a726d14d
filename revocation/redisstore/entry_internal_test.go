package redisstore

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEntryWireFormat(t *testing.T) {
	e := entry{
		kind:   kindSubject,
		issuer: "https://id.example/t:1 2",
		id:     "user 7\x00é",
		since:  1_700_000_000_123,
		until:  1_700_000_060_123,
	}
	const wantMessage = "v2 1700000000123 1700000060123 sub:24:https://id.example/t:1 2:user 7\x00é"
	if got, want := e.message(), wantMessage; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	if got, want := e.key("p:"), "p:v2:sub:24:https://id.example/t:1 2:user 7\x00é"; got != want {
		t.Fatalf("key %q, want %q", got, want)
	}
	back, err := parseMessage(e.message())
	if err != nil || back != e {
		t.Fatalf("parseMessage(message()) = %+v, %v; want %+v", back, err, e)
	}
	k, err := parseKey("p:", e.key("p:"))
	if err != nil || k.kind != e.kind || k.issuer != e.issuer || k.id != e.id {
		t.Fatalf("parseKey(key()) = %+v, %v", k, err)
	}
	v, err := parseValue(k, e.value())
	if err != nil || v != e {
		t.Fatalf("parseValue(value()) = %+v, %v", v, err)
	}
}

// The issuer's length keeps issuer and id apart, whatever ':' they hold:
// issuer "a:b" with id "c" and issuer "a" with id "b:c" are two denials.
func TestEntryIssuerAndIDNeverRunTogether(t *testing.T) {
	x := entry{kind: kindSession, issuer: "a:b", id: "c", until: 5}
	y := entry{kind: kindSession, issuer: "a", id: "b:c", until: 5}
	if x.key("p:") == y.key("p:") || x.message() == y.message() || x.pendingKey() == y.pendingKey() {
		t.Fatalf("two denials share a name: %q", x.key("p:"))
	}
	for _, e := range []entry{x, y} {
		if back, err := parseMessage(e.message()); err != nil || back != e {
			t.Fatalf("parseMessage(%q) = %+v, %v", e.message(), back, err)
		}
	}
}

func TestParseRefusesWhatItDidNotWrite(t *testing.T) {
	ref := "sid:1:i:s"
	for _, m := range []string{
		"", "v2", "v2 0 5", "v2 0 5 ", "v2 00 5 " + ref, "v2 0 05 " + ref, "v2 +0 5 " + ref, "v2 -0 5 " + ref,
		"v2 0 -5 " + ref,
		"v2 0 0 " + ref, "v2 1 5 " + ref, "v2 6 5 sub:1:i:u", "v2 0 1234567890123456 jti:1:i:j", "v2 0 5 xyz:1:i:s",
		"v2 0  5 " + ref,
		"v2 0 5\t" + ref, "v2 0x1 5 " + ref, "v2 0 5 sid:1:i:" + strings.Repeat("s", maxIDLen+1),
		"v2 0 5 sid:0::s", "v2 0 5 sid:2:i:s", "v2 0 5 sid:01:i:s", "v2 0 5 sid:+1:i:s", "v2 0 5 sid:1:i", "v2 0 5 " +
			"sid:1:i:",
		"v2 0 5 sid:9:i:s", "v2 0 5 sid:i:s", "v2 0 5 sid", "v3 0 5 " + ref, "V2 0 5 " + ref,
	} {
		if e, err := parseMessage(m); err == nil {
			t.Errorf("parseMessage(%.40q) = %+v, want an error", m, e)
		}
	}
	for _, k := range []string{
		"q:v2:sid:1:i:s",
		"p:",
		"p:v2",
		"p:v2:sid",
		"p:v2:sid:1:i:",
		"p:v2:SID:1:i:s",
		"p:v2:jti",
		"p:v2:sid:0::s",
		"p:v3:sid:1:i:s",
	} {
		if e, err := parseKey("p:", k); err == nil {
			t.Errorf("parseKey(%q) = %+v, want an error", k, e)
		}
	}
}

// Keys and messages of the first format, which named no issuer, are told
// apart from garbage (so they are ignored, and logged as such), never read
// as a denial.
func TestFirstFormatIsRecognisedAndRefused(t *testing.T) {
	for _, m := range []string{"sid 0 1700000000000 s-1", "sub 1 2 u", "jti 0 5 j k"} {
		if _, err := parseMessage(m); !errors.Is(err, errFirstFormat) {
			t.Errorf("parseMessage(%q): %v, want errFirstFormat", m, err)
		}
	}
	for _, k := range []string{"p:sid:s-1", "p:jti:j", "p:sub:u 1"} {
		if _, err := parseKey("p:", k); !errors.Is(err, errFirstFormat) {
			t.Errorf("parseKey(%q): %v, want errFirstFormat", k, err)
		}
	}
}

// Whatever arrives on the channel: no panic, and what is accepted is
// exactly what the Store would have written.
func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{
		"v2 0 1700000000000 sid:1:i:s-1",
		"v2 1 2 sub:3:a:b:u",
		"v2 0 5 jti:2:ii:j k",
		"",
		"sid",
		"sid 0 1 \x00",
		"v2 0 1 sid:1:\x00:",
	} {
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
	a := entry{kind: kindSession, issuer: "i", id: "a", until: 10}
	if !o.add(a) || !o.add(entry{kind: kindToken, issuer: "i", id: "b", until: 10}) {
		t.Fatal("refused within its bound")
	}
	if o.add(entry{kind: kindToken, issuer: "i", id: "c", until: 10}) {
		t.Fatal("grew past its bound")
	}
	if !o.add(entry{kind: kindSession, issuer: "i", id: "a", until: 20}) || o.len() != 2 {
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
