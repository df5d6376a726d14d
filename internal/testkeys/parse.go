package testkeys

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// parse decodes a PKCS#8 PEM file into a key of type K.
//
// A fixture that fails to parse is a broken checkout, not a condition any
// test could handle, so parse panics with the file name and the reason.
func parse[K any](name, data string) K {
	block, _ := pem.Decode([]byte(data))
	if block == nil || block.Type != "PRIVATE KEY" {
		panic(fmt.Sprintf("testkeys: %s: no PKCS#8 \"PRIVATE KEY\" PEM block", name))
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		panic(fmt.Sprintf("testkeys: %s: %v", name, err))
	}
	key, ok := parsed.(K)
	if !ok {
		var want K
		panic(fmt.Sprintf("testkeys: %s: holds a %T, want %T", name, parsed, want))
	}
	return key
}
