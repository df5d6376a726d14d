package core

import (
	"net/http/httptest"
	"testing"
)

// FuzzSameTarget checks that comparing htu without parsing it never
// answers otherwise than parsing and normalising it.
func FuzzSameTarget(f *testing.F) {
	for _, seed := range [][2]string{
		{"https://api.example.com/base/api/me", "/api/me"},
		{"https://api.example.com/base/api/me?x=1#f", "/api/me"},
		{"https://api.example.com/base/api/me#f?x", "/api/me"},
		{"https://api.example.com@evil.example/base/api/me", "/api/me"},
		{"https://api.example.com.evil.example/base/api/me", "/api/me"},
		{"https://api.example.com:443/base/api/me", "/api/me"},
		{"https://api.example.com/base*", "*"},
		{"https://api.example.com/base/api/%6De", "/api/me"},
		{"https://api.example.com/base/api/me/", "/api/me"},
		{"https://api.example.com/base/a;b", "/a;b"},
		{"https://api.example.com/base/a%2Fb", "/a%2Fb"},
		{"https://api.example.com/base", "/"},
		{"https://api.example.com/base/", "/"},
	} {
		f.Add(seed[0], seed[1])
	}
	d, err := newDPoPChecker(DPoPConfig{Mode: DPoPAllowed, PublicURL: "https://API.example.com:443/base/"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, htu, path string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.Path, r.URL.RawPath = path, ""
		fast, parsed := d.sameTarget(htu, &Call{req: r}), d.sameTargetParsed(htu, r.URL.EscapedPath())
		if fast != parsed {
			t.Fatalf("htu %q, path %q: compared as written %v, parsed %v", htu, path, fast, parsed)
		}
	})
}

// The common htu, the public URL and the request's path as they are, is
// compared without parsing: no allocation.
func TestSameTargetAsWrittenAllocatesNothing(t *testing.T) {
	d, err := newDPoPChecker(DPoPConfig{Mode: DPoPAllowed, PublicURL: "https://api.example.com/base"})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/api/me?page=2", nil)
	htu := "https://api.example.com/base/api/me"
	if !d.sameTarget(htu, &Call{req: r}) {
		t.Fatal("the proof's htu does not name the request")
	}
	if n := testing.AllocsPerRun(100, func() { d.sameTarget(htu, &Call{req: r}) }); n != 0 {
		t.Fatalf("%v allocations, want 0", n)
	}
}
