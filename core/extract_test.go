package core_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/core"
)

func TestExtractToken(t *testing.T) {
	const tok = "eyJh.eyJz.c2ln"
	big := strings.Repeat("A", core.DefaultMaxTokenSize+1)
	cases := []struct {
		name    string
		headers []string // Authorization values
		cookies []string // identsphere_at values
		want    string
		source  core.TokenSource
		err     error
	}{
		{name: "bearer", headers: []string{"Bearer " + tok}, want: tok, source: core.FromHeader},
		{name: "scheme is case-insensitive", headers: []string{"bEaReR " + tok}, want: tok, source: core.FromHeader},
		{name: "several spaces", headers: []string{"Bearer   " + tok}, want: tok, source: core.FromHeader},
		{name: "b64token characters", headers: []string{"Bearer a-b_c~d+e/f=="}, want: "a-b_c~d+e/f==", source: core.FromHeader},
		{name: "cookie", cookies: []string{tok}, want: tok, source: core.FromCookie},
		{name: "header wins over cookie", headers: []string{"Bearer " + tok}, cookies: []string{"other"}, want: tok, source: core.FromHeader},
		{name: "nothing", err: core.ErrMissingToken},
		{name: "empty cookie", cookies: []string{""}, err: core.ErrMissingToken},
		{name: "two headers", headers: []string{"Bearer " + tok, "Bearer " + tok}, err: core.ErrInvalidRequest},
		{name: "basic scheme", headers: []string{"Basic dXNlcjpwYXNz"}, err: core.ErrInvalidRequest},
		{name: "empty bearer", headers: []string{"Bearer"}, err: core.ErrInvalidRequest},
		{name: "empty header", headers: []string{""}, err: core.ErrInvalidRequest},
		{name: "tab separator", headers: []string{"Bearer\t" + tok}, err: core.ErrInvalidRequest},
		{name: "comma list", headers: []string{"Bearer " + tok + ", Bearer " + tok}, err: core.ErrInvalidRequest},
		{name: "only padding", headers: []string{"Bearer ==="}, err: core.ErrInvalidRequest},
		{name: "quote in token", headers: []string{`Bearer a"b`}, err: core.ErrInvalidRequest},
		{name: "oversized header token", headers: []string{"Bearer " + big}, err: core.ErrInvalidToken},
		{name: "oversized cookie token", cookies: []string{big}, err: core.ErrInvalidToken},
		{name: "two cookies", cookies: []string{tok, tok}, err: core.ErrInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, h := range tc.headers {
				r.Header.Add("Authorization", h)
			}
			for _, c := range tc.cookies {
				r.AddCookie(&http.Cookie{Name: core.DefaultCookieName, Value: c})
			}
			got, source, err := core.ExtractToken(r, core.DefaultCookieName, core.DefaultMaxTokenSize)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want || source != tc.source {
				t.Fatalf("got %q, %v, %v; want %q, %v", got, source, err, tc.want, tc.source)
			}
		})
	}

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: core.DefaultCookieName, Value: tok})
	if _, _, err := core.ExtractToken(r, "", core.DefaultMaxTokenSize); !errors.Is(err, core.ErrMissingToken) {
		t.Errorf("cookies turned off: err = %v, want ErrMissingToken", err)
	}
}
