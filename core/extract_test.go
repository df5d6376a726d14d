package core_test

import (
	"context"
	"errors"
	"fmt"
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
		{
			name:    "b64token characters",
			headers: []string{"Bearer a-b_c~d+e/f=="},
			want:    "a-b_c~d+e/f==",
			source:  core.FromHeader,
		},
		{name: "cookie", cookies: []string{tok}, want: tok, source: core.FromCookie},
		{
			name:    "header wins over cookie",
			headers: []string{"Bearer " + tok},
			cookies: []string{"other"},
			want:    tok,
			source:  core.FromHeader,
		},
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

// The access-token cookie is read from the raw Cookie header lines, exactly
// as net/http's Request.CookiesNamed reads them: each case states today's
// answer and is checked against net/http as well, so the table cannot
// drift from the reference it documents.
func TestExtractTokenCookieLikeNetHTTP(t *testing.T) {
	const (
		name = core.DefaultCookieName
		tok  = "eyJh.eyJz.c2ln"
	)
	many := func(n int, last string) string { // n cookies in one line, the last one given
		return strings.Repeat("a=1; ", n-1) + last
	}
	cases := []struct {
		name  string
		lines []string // Cookie header lines
		want  string
		err   error
	}{
		{name: "alone", lines: []string{name + "=" + tok}, want: tok},
		{name: "among others", lines: []string{"a=1; " + name + "=" + tok + "; b=2"}, want: tok},
		{name: "quoted", lines: []string{name + `="` + tok + `"`}, want: tok},
		{
			name:  "spaces and tabs around",
			lines: []string{" \t" + name + " \t= " + tok + "\t "},
			err:   core.ErrInvalidRequest,
		}, // the value keeps its leading space
		{name: "space before the equals sign", lines: []string{name + "  =" + tok}, want: tok},
		{name: "trailing semicolons", lines: []string{name + "=" + tok + ";;; "}, want: tok},
		{name: "empty parts", lines: []string{";; ;" + name + "=" + tok}, want: tok},
		{name: "in the second line", lines: []string{"a=1", name + "=" + tok}, want: tok},
		{name: "first line empty", lines: []string{"", name + "=" + tok}, want: tok},
		{name: "value with an equals sign", lines: []string{name + "=" + tok + "=="}, want: tok + "=="},
		{name: "other cookie with a bad value", lines: []string{`a="x\y; ` + name + "=" + tok}, want: tok},
		{name: "upper-case name", lines: []string{strings.ToUpper(name) + "=" + tok}, err: core.ErrMissingToken},
		{name: "longer name", lines: []string{name + "x=" + tok}, err: core.ErrMissingToken},
		{name: "name with a space inside", lines: []string{name + " x=" + tok}, err: core.ErrMissingToken},
		{name: "name as a suffix", lines: []string{"x" + name + "=" + tok}, err: core.ErrMissingToken},
		{name: "no equals sign", lines: []string{name}, err: core.ErrMissingToken},
		{name: "empty value", lines: []string{name + "="}, err: core.ErrMissingToken},
		{name: "empty quoted value", lines: []string{name + `=""`}, err: core.ErrMissingToken},
		{name: "lone quote", lines: []string{name + `="`}, err: core.ErrMissingToken},
		{name: "quote inside", lines: []string{name + `=a"b`}, err: core.ErrMissingToken},
		{name: "backslash", lines: []string{name + `=a\b`}, err: core.ErrMissingToken},
		{name: "control character", lines: []string{name + "=a\x01b"}, err: core.ErrMissingToken},
		{name: "DEL", lines: []string{name + "=a\x7fb"}, err: core.ErrMissingToken},
		{name: "non-ASCII", lines: []string{name + "=tök"}, err: core.ErrMissingToken},
		{name: "space inside", lines: []string{name + "=a b"}, err: core.ErrInvalidRequest},
		{name: "comma inside", lines: []string{name + "=a,b"}, err: core.ErrInvalidRequest},
		{name: "only padding", lines: []string{name + "==="}, err: core.ErrInvalidRequest},
		{
			name:  "two in one line",
			lines: []string{name + "=" + tok + "; " + name + "=" + tok},
			err:   core.ErrInvalidRequest,
		},
		{name: "two in two lines", lines: []string{name + "=" + tok, name + "=" + tok}, err: core.ErrInvalidRequest},
		{name: "second one empty", lines: []string{name + "=" + tok + "; " + name + "="}, err: core.ErrInvalidRequest},
		{name: "first one empty", lines: []string{name + "=; " + name + "=" + tok}, err: core.ErrInvalidRequest},
		{name: "second one bare", lines: []string{name + "=" + tok + "; " + name}, err: core.ErrInvalidRequest},
		{name: "second one unreadable", lines: []string{name + "=" + tok + "; " + name + `=a"b`}, want: tok},
		{name: "first one unreadable", lines: []string{name + "=a\\b; " + name + "=" + tok}, want: tok},
		{
			name:  "oversized",
			lines: []string{name + "=" + strings.Repeat("A", core.DefaultMaxTokenSize+1)},
			err:   core.ErrInvalidToken,
		},
		{
			name:  "oversized and unreadable",
			lines: []string{name + "=" + strings.Repeat("A", core.DefaultMaxTokenSize+1) + `"`},
			err:   core.ErrMissingToken,
		},
		{
			name:  "oversized twice",
			lines: []string{strings.Repeat(name+"="+strings.Repeat("A", core.DefaultMaxTokenSize+1)+";", 2)},
			err:   core.ErrInvalidRequest,
		},
		{name: "3000 cookies", lines: []string{many(3000, name+"="+tok)}, want: tok},
		{name: "3001 cookies", lines: []string{many(3001, name+"="+tok)}, err: core.ErrMissingToken},
		{
			name:  "3001 cookies over two lines",
			lines: []string{many(1500, "a=1"), many(1501, name+"="+tok)},
			err:   core.ErrMissingToken,
		},
		{
			name:  "3000 counted from semicolons",
			lines: []string{name + "=" + tok + strings.Repeat(";", 2999)},
			want:  tok,
		},
		{
			name:  "3001 counted from semicolons",
			lines: []string{name + "=" + tok + strings.Repeat(";", 3000)},
			err:   core.ErrMissingToken,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header["Cookie"] = tc.lines
			got, source, err := core.ExtractToken(r, name, core.DefaultMaxTokenSize)
			switch {
			case tc.err != nil && !errors.Is(err, tc.err):
				t.Errorf("got (%q, %v), want an error matching %v", got, err, tc.err)
			case tc.err == nil && (err != nil || got != tc.want || source != core.FromCookie):
				t.Errorf("got (%q, %v, %v), want (%q, FromCookie)", got, source, err, tc.want)
			}
			wantNetHTTP, errNetHTTP := cookieModel(r, name, core.DefaultMaxTokenSize)
			if !sameAnswer(got, err, wantNetHTTP, errNetHTTP) {
				t.Errorf("got (%q, %v); net/http's reading gives (%q, %v)", got, err, wantNetHTTP, errNetHTTP)
			}
		})
	}
}

// cookieModel is the answer for the access-token cookie computed with
// net/http's own parser: the reference the scanner must agree with.
func cookieModel(r *http.Request, name string, maxSize int) (string, error) {
	switch cs := r.CookiesNamed(name); {
	case name == "":
		return "", core.ErrMissingToken
	case len(cs) > 1:
		return "", core.ErrInvalidRequest
	case len(cs) == 0 || cs[0].Value == "":
		return "", core.ErrMissingToken
	default:
		return fuzzWantToken(cs[0].Value, maxSize)
	}
}

// sameAnswer reports whether two answers are the same token, or errors of
// the same category.
func sameAnswer(tok string, err error, wantTok string, wantErr error) bool {
	if wantErr != nil {
		return errors.Is(err, wantErr)
	}
	return err == nil && tok == wantTok
}

// Reading the cookie allocates nothing, however hostile the header: no
// Cookie is built for any pair.
func TestExtractTokenCookieAllocatesNothing(t *testing.T) {
	const tok = "eyJh.eyJz.c2ln"
	name := core.DefaultCookieName
	for _, tc := range []struct{ label, line string }{
		{"alone", name + "=" + tok},
		{"among others", "session=abc; theme=dark; " + name + "=" + tok + "; lang=en"},
		{"quoted", name + `="` + tok + `"`},
		{"2999 others", strings.Repeat("a=1;", 2999) + name + "=" + tok},
		{"duplicates", strings.Repeat(name+"="+tok+";", 1000)},
		{"a megabyte of one value", "big=" + strings.Repeat("x", 1<<20) + "; " + name + "=" + tok},
		{"a megabyte of spaces", strings.Repeat(" ", 1<<20) + name + "=" + tok},
		{"missing", "session=abc"},
	} {
		t.Run(tc.label, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header["Cookie"] = []string{tc.line}
			want, wantErr := cookieModel(r, name, core.DefaultMaxTokenSize)
			allocs := testing.AllocsPerRun(20, func() {
				got, _, err := core.ExtractToken(r, name, core.DefaultMaxTokenSize)
				if !sameAnswer(got, err, want, wantErr) {
					panic(fmt.Sprintf("got (%q, %v), want (%q, %v)", got, err, want, wantErr))
				}
			})
			if allocs != 0 && wantErr == nil {
				t.Fatalf("reading the cookie allocates %v times, want 0", allocs)
			}
			if wantErr != nil && allocs > 1 { // the error value itself, at most
				t.Fatalf("refusing the cookie allocates %v times, want at most 1", allocs)
			}
		})
	}
}

// FuzzExtractTokenCookie feeds ExtractToken up to three Cookie header lines
// and a cookie name, and checks its answer against net/http's own reading
// (Request.CookiesNamed): which value is the named cookie, whether there
// are several, and what the documented rules then make of it. The
// Authenticator, which reads the same cookie on the hot path and only
// scans the token's characters when it is refused, must give the same
// category of answer.
func FuzzExtractTokenCookie(f *testing.F) {
	const tok = "eyJh.eyJz.c2ln"
	name := core.DefaultCookieName
	for _, seed := range []struct {
		lines [3]string
		n     uint8
	}{
		{[3]string{name + "=" + tok}, 1},
		{[3]string{"a=1; " + name + "=" + tok + "; b=2"}, 1},
		{[3]string{name + `="` + tok + `"`}, 1},
		{[3]string{" \t" + name + " \t= " + tok + "\t "}, 1},
		{[3]string{name + "=" + tok, name + "=" + tok}, 2},
		{[3]string{"a=1", "", name + "=" + tok}, 3},
		{[3]string{name + "=" + tok + "; " + name + `=a"b`}, 1},
		{[3]string{name + "=a\\b; " + name + "=" + tok}, 1},
		{[3]string{name}, 1},
		{[3]string{name + `=""`}, 1},
		{[3]string{name + `="`}, 1},
		{[3]string{name + "=a b,c"}, 1},
		{[3]string{name + "==="}, 1},
		{[3]string{name + "x=" + tok + ";" + name + " x=1"}, 1},
		{[3]string{strings.Repeat(";", 2999) + name + "=" + tok}, 1},
		{[3]string{strings.Repeat(";", 3000) + name + "=" + tok}, 1},
		{[3]string{"\r\n" + name + "=" + tok + "\r\n"}, 1},
		{[3]string{name + "=tök"}, 1},
	} {
		f.Add(seed.n, seed.lines[0], seed.lines[1], seed.lines[2], uint8(0), uint16(0))
		f.Add(seed.n, seed.lines[0], seed.lines[1], seed.lines[2], uint8(1), uint16(8))
	}
	names := []string{name, "a", "x y", "", "tok=en", "ä", "!#$%&'*+-.^_`|~09AZaz"}
	accept := &acceptOne{token: tok}
	auth := core.NewAuthenticator(accept)
	f.Fuzz(func(t *testing.T, nLines uint8, l1, l2, l3 string, nameIdx uint8, maxSize uint16) {
		limit := int(maxSize)
		if limit == 0 {
			limit = core.DefaultMaxTokenSize
		}
		cookieName := names[int(nameIdx)%len(names)]
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if n := int(nLines) % 4; n > 0 {
			r.Header["Cookie"] = []string{l1, l2, l3}[:n]
		}
		want, wantErr := cookieModel(r, cookieName, limit)

		got, src, err := core.ExtractToken(r, cookieName, limit)
		if !sameAnswer(got, err, want, wantErr) {
			t.Fatalf("ExtractToken: got (%q, %v); net/http's reading gives (%q, %v)", got, err, want, wantErr)
		}
		if err == nil && src != core.FromCookie {
			t.Fatalf("source %v, want FromCookie", src)
		}

		// The Authenticator, with cookieName and the cap.
		a := auth
		if cookieName != name || limit != core.DefaultMaxTokenSize {
			a = core.NewAuthenticator(accept, core.WithCookieName(cookieName), core.WithMaxTokenSize(limit))
		}
		c, err := a.Authenticate(r)
		switch {
		case wantErr != nil && !errors.Is(err, wantErr):
			t.Fatalf("Authenticate: %v, want an error matching %v", err, wantErr)
		case wantErr == nil && want == tok && (err != nil || c.Subject != "user-1"):
			t.Fatalf("Authenticate: (%v, %v), want the token admitted", c, err)
		case wantErr == nil && want != tok && !errors.Is(err, core.ErrInvalidToken):
			t.Fatalf("Authenticate: %v, want the stand-in's refusal (invalid token)", err)
		}
	})
}

// acceptOne is a TokenVerifier stand-in that accepts exactly one token, so
// that the Authenticator's own reading of the request is what a test sees.
type acceptOne struct{ token string }

func (a *acceptOne) Verify(_ context.Context, token string) (*core.Claims, error) {
	if token != a.token {
		return nil, &core.TokenError{Check: "signature", Description: "not the accepted token"}
	}
	return &core.Claims{Subject: "user-1"}, nil
}
