package core

import (
	"strings"
	"testing"
)

func TestDecodeClaims(t *testing.T) {
	c, err := decodeClaims(
		[]byte(`{"iss":"https://i","sub":"u1","aud":["a","b"],"exp":2000000000,"nbf":1000,"iat":1000.25,
		"jti":"j","email":"e@x","email_verified":true,"org":"o","scope":"read  write",
		"scp":["admin","read"],"ISS":"evil"}`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != "https://i" || c.Subject != "u1" || c.ID != "j" || c.Email != "e@x" || c.Org != "o" {
		t.Errorf("strings: %+v", c)
	}
	if strings.Join(c.Audience, ",") != "a,b" {
		t.Errorf("aud %q", c.Audience)
	}
	if c.ExpiresAt.Unix() != 2000000000 || c.NotBefore.Unix() != 1000 || c.IssuedAt.UnixMilli() != 1000250 {
		t.Errorf("times: %v %v %v", c.ExpiresAt, c.NotBefore, c.IssuedAt)
	}
	if c.EmailVerified == nil || !*c.EmailVerified {
		t.Errorf("email_verified %v", c.EmailVerified)
	}
	if strings.Join(c.Scopes, ",") != "read,write,admin" {
		t.Errorf("scopes %q", c.Scopes)
	}
	if !c.HasScope("admin") || c.HasScope("adm") || c.HasScope("read write") {
		t.Error("HasScope must match whole words only")
	}
	var extra struct {
		Org string `json:"org"`
	}
	if err := c.Decode(&extra); err != nil || extra.Org != "o" {
		t.Errorf("Decode: %v %+v", err, extra)
	}

	for name, payload := range map[string]string{
		"exp string":        `{"exp":"2000000000"}`,
		"exp huge":          `{"exp":1e300}`,
		"aud number member": `{"aud":["a",1]}`,
		"aud object":        `{"aud":{}}`,
		"sub number":        `{"sub":1}`,
		"iss null":          `{"iss":null}`,
		"duplicate sub":     `{"sub":"a","sub":"b"}`,
		"array payload":     `[{"sub":"a"}]`,
	} {
		if _, err := decodeClaims([]byte(payload)); err == nil {
			t.Errorf("%s: accepted %s", name, payload)
		}
	}

	for name, payload := range map[string]string{
		"string true": `{"email_verified":"true"}`,
		"number one":  `{"email_verified":1}`,
		"absent":      `{}`,
	} {
		c, err := decodeClaims([]byte(payload))
		if err != nil || c.EmailVerified != nil {
			t.Errorf("%s: EmailVerified = %v, err %v; want nil", name, c.EmailVerified, err)
		}
	}
}
