package core

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

// Defaults come without a check, so that NewMulti takes the settings its
// issuers share (logger, clock, observer, cache) from a Config with no
// issuer, instead of validating a made-up one; withDefaults is both.
func TestConfigDefaultsNeedNoValidIssuer(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	now := func() time.Time { return time.Unix(1, 0) }
	c := Config{Logger: logger, Now: now, CacheSize: 7}.filled()
	if c.Issuer != "" || c.Logger != logger || c.Now().Unix() != 1 || c.CacheSize != 7 {
		t.Fatalf("filled changed what was set: %+v", c)
	}
	if c.Leeway != DefaultLeeway || c.MaxTokenSize != DefaultMaxTokenSize || c.HTTPTimeout != DefaultHTTPTimeout ||
		c.UnknownKIDWait != DefaultUnknownKIDWait || c.Observer == nil {
		t.Fatalf("filled left a default out: %+v", c)
	}
	err := Config{}.check()
	if err == nil || !strings.Contains(err.Error(), "Config.Issuer is required") {
		t.Fatalf("check of an empty Config: %v", err)
	}
	withDefaults, err := Config{Leeway: -time.Second}.withDefaults()
	if err == nil || !strings.Contains(err.Error(), "Leeway") || withDefaults.Logger == nil {
		t.Fatalf("withDefaults: %+v, %v; want the defaults and the error", withDefaults, err)
	}
}
