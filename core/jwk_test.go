package core_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/identsphere/identsphere-go/authtest"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// rsaJWK returns the issuer's published RSA key as JSON, fetched over HTTP.
func rsaJWK(t *testing.T, iss *authtest.Issuer) string {
	t.Helper()
	resp, err := http.Get(iss.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var set struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	for _, k := range set.Keys {
		if strings.Contains(string(k), `"RSA"`) {
			return string(k)
		}
	}
	t.Fatal("no RSA key published")
	return ""
}
