package core_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/internal/authcases"
)

// BenchmarkAuthenticateTokenSource is a cache hit and a full verification
// (cache off) through Authenticate, with the token in the Authorization
// header and in the identsphere_at cookie: what the token source costs.
// BenchmarkFloor, in the same run, is the RSA verification they compare
// with:
//
//	go test -run '^$' -bench 'Floor|AuthenticateTokenSource' -benchmem ./core/
func BenchmarkAuthenticateTokenSource(b *testing.B) {
	iss, _, token := benchEnv(b)
	for _, cache := range []struct {
		name     string
		disabled bool
	}{{"hit", false}, {"off", true}} {
		v := authcases.NewValidator(b, core.Config{
			Issuer:       iss.URL(),
			Audience:     []string{authcases.Audience},
			DisableCache: cache.disabled,
			Logger:       authcases.Discard(),
		})
		a := core.NewAuthenticator(v)
		for _, src := range []struct {
			name, header, value string
		}{
			{"header", "Authorization", "Bearer " + token},
			{"cookie", "Cookie", authtest.CookieName + "=" + token},
		} {
			b.Run(src.name+"/"+cache.name, func(b *testing.B) {
				r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
				r.Header.Set(src.header, src.value)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := a.Authenticate(r); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkExtractTokenCookie reads the access-token cookie from Cookie
// headers of growing size, hostile ones included: the cost per byte stays
// flat (linear time), and nothing is allocated.
func BenchmarkExtractTokenCookie(b *testing.B) {
	const tok = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl"
	name := core.DefaultCookieName
	for _, tc := range []struct{ name, line string }{
		{"alone", name + "=" + tok},
		{"browser", "_ga=GA1.1.123456789.1700000000; theme=dark; " + name + "=" + tok + "; lang=en-GB"},
		{"2999-cookies", strings.Repeat("a=1; ", 2999) + name + "=" + tok},
		{"1MiB-value", "big=" + strings.Repeat("x", 1<<20) + "; " + name + "=" + tok},
		{"1000-duplicates", strings.Repeat(name+"="+tok+"; ", 1000)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header["Cookie"] = []string{tc.line}
			b.SetBytes(int64(len(tc.line)))
			b.ReportAllocs()
			for b.Loop() {
				_, _, _ = core.ExtractToken(r, name, core.DefaultMaxTokenSize)
			}
		})
	}
}
