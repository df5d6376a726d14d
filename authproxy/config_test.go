package authproxy_test

import (
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authproxy"
)

func TestNewConfig(t *testing.T) {
	const issuer = "https://id.example.com"
	bad := map[string]authproxy.Config{
		"no issuer":                {},
		"relative issuer":          {Issuer: "id.example.com"},
		"ftp issuer":               {Issuer: "ftp://id.example.com"},
		"issuer with query":        {Issuer: issuer + "?tenant=1"},
		"issuer with empty query":  {Issuer: issuer + "?"},
		"issuer with fragment":     {Issuer: issuer + "#x"},
		"issuer with credentials":  {Issuer: "https://user:pw@id.example.com"},
		"issuer with encoded path": {Issuer: issuer + "/a%2Fb"},
		"allowed outside auth":     {Issuer: issuer, AllowedPaths: []string{"/admin/"}},
		"allowed auth root only":   {Issuer: issuer, AllowedPaths: []string{"/v1/auth"}},
		"allowed not clean":        {Issuer: issuer, AllowedPaths: []string{"/v1/auth/../admin/"}},
		"allowed double slash":     {Issuer: issuer, AllowedPaths: []string{"/v1/auth//login"}},
		"allowed empty entry":      {Issuer: issuer, AllowedPaths: []string{""}},
		"forwarded host with CRLF": {Issuer: issuer, ForwardedHost: "app.example.com\r\nX-Evil: 1"},
		"forwarded host with path": {Issuer: issuer, ForwardedHost: "app.example.com/x"},
		"forwarded host list":      {Issuer: issuer, ForwardedHost: "a.example.com, b.example.com"},
		"cookie domain with space": {Issuer: issuer, CookieDomain: "example .com"},
		"cookie domain with port":  {Issuer: issuer, CookieDomain: "example.com:443"},
		"negative body limit":      {Issuer: issuer, MaxBodyBytes: -1},
		"negative timeout":         {Issuer: issuer, Timeout: -time.Second},
		"extra header not a token": {Issuer: issuer, ExtraRequestHeaders: []string{"X Device"}},
		"extra header empty":       {Issuer: issuer, ExtraRequestHeaders: []string{""}},
		"extra header hop-by-hop":  {Issuer: issuer, ExtraRequestHeaders: []string{"connection"}},
		"extra header Host":        {Issuer: issuer, ExtraRequestHeaders: []string{"Host"}},
		"extra header XFF":         {Issuer: issuer, ExtraRequestHeaders: []string{"x-forwarded-for"}},
		"extra header X-Forwarded": {Issuer: issuer, ExtraRequestHeaders: []string{"X-Forwarded-Prefix"}},
		"extra header client IP":   {Issuer: issuer, ExtraRequestHeaders: []string{"Cf-Connecting-IP"}},
		"extra header override":    {Issuer: issuer, ExtraRequestHeaders: []string{"X-HTTP-Method-Override"}},
		"trusted zero prefix":      {Issuer: issuer, TrustedProxies: []netip.Prefix{{}}},
		"trusted wide 4in6 prefix": {
			Issuer:         issuer,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("::ffff:0:0/80")},
		},
		"public scheme ftp":        {Issuer: issuer, PublicScheme: "ftp"},
		"public scheme upper case": {Issuer: issuer, PublicScheme: "HTTPS"},
	}
	for name, cfg := range bad {
		t.Run(name, func(t *testing.T) {
			if p, err := authproxy.New(cfg); err == nil || p != nil {
				t.Errorf("New = %v, %v; want an error", p, err)
			}
		})
	}

	good := map[string]authproxy.Config{
		"minimal":          {Issuer: issuer},
		"issuer path":      {Issuer: issuer + "/idp/"},
		"plain http":       {Issuer: "http://identsphere.internal:8080"},
		"exact and prefix": {Issuer: issuer, AllowedPaths: []string{"/v1/auth/login", "/v1/auth/oauth/", "/v1/auth/"}},
		"forwarded host":   {Issuer: issuer, ForwardedHost: "app.example.com:8443"},
		"forwarded ipv6":   {Issuer: issuer, ForwardedHost: "[2001:db8::1]:443"},
		"cookie domain":    {Issuer: issuer, CookieDomain: ".example.com"},
		"extra headers":    {Issuer: issuer, ExtraRequestHeaders: []string{"traceparent", "X-Device-Id"}},
		"trusted proxies": {
			Issuer:         issuer,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")},
		},
		"unmasked prefix": {Issuer: issuer, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.1.2.3/8")}},
		"public scheme":   {Issuer: issuer, PublicScheme: "https"},
		"trusted origins": {Issuer: issuer, CrossOriginProtection: http.NewCrossOriginProtection()},
	}
	for name, cfg := range good {
		t.Run(name, func(t *testing.T) {
			if _, err := authproxy.New(cfg); err != nil {
				t.Errorf("New: %v", err)
			}
		})
	}
}
