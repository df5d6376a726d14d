package testkeys

import (
	"crypto/rsa"
	"strings"
	"testing"
)

func TestParsePanicsWithFileNameOnBadFixture(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"not PEM", "hello", "no PKCS#8"},
		{"wrong block type", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", "no PKCS#8"},
		{"bad DER", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "broken.pem: "},
		{"wrong key type", ecPEM, "holds a *ecdsa.PrivateKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, "broken.pem") || !strings.Contains(msg, tt.want) {
					t.Fatalf("panic message %q, want it to name broken.pem and contain %q", msg, tt.want)
				}
			}()
			parse[*rsa.PrivateKey]("broken.pem", tt.data)
		})
	}
}
