package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/identsphere/identsphere-go/authtest"
)

// runOK runs the command and fails the test on an error.
func runOK(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(args, &out, &errOut); err != nil {
		t.Fatalf("dpop-proof %v: %v (stderr %q)", args, err, errOut.String())
	}
	return out.String(), errOut.String()
}

func TestProofForTheKeyInTheFile(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "sub", "key.pem")
	jkt, _ := runOK(t, "-key", keyFile, "-jkt")
	jkt = strings.TrimSpace(jkt)
	info, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", info.Mode().Perm())
	}

	proof, stderr := runOK(
		t,
		"-key",
		keyFile,
		"-method",
		"POST",
		"-url",
		"https://api.example/api/me?x=1",
		"-token",
		"tok",
		"-nonce",
		"n-1",
	)
	proof = strings.TrimSpace(proof)
	if stderr != "jkt: "+jkt+"\n" {
		t.Fatalf("stderr %q, want the thumbprint %s", stderr, jkt)
	}
	var jwk map[string]any
	parsed, err := jwt.Parse(proof, func(tok *jwt.Token) (any, error) {
		jwk, _ = tok.Header["jwk"].(map[string]any)
		return ecPublicKey(t, jwk), nil
	}, jwt.WithValidMethods([]string{"ES256"}))
	if err != nil {
		t.Fatalf("the proof does not verify with its jwk: %v", err)
	}
	claims := parsed.Claims.(jwt.MapClaims)
	sum := sha256.Sum256([]byte("tok"))
	if claims["htm"] != "POST" || claims["htu"] != "https://api.example/api/me" || claims["nonce"] != "n-1" ||
		claims["ath"] != base64.RawURLEncoding.EncodeToString(sum[:]) || parsed.Header["typ"] != "dpop+jwt" {
		t.Fatalf("proof %v %v", parsed.Header, claims)
	}
	canonical := `{"crv":"P-256","kty":"EC","x":"` + jwk["x"].(string) + `","y":"` + jwk["y"].(string) + `"}`
	tp := sha256.Sum256([]byte(canonical))
	if got := base64.RawURLEncoding.EncodeToString(tp[:]); got != jkt {
		t.Fatalf("-jkt printed %s, the proof's key is %s", jkt, got)
	}

	// The same key next time; a proof without a token has no ath.
	again, _ := runOK(t, "-key", keyFile, "-url", "https://as.example/token")
	p, _, err := jwt.NewParser().ParseUnverified(strings.TrimSpace(again), jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Claims.(jwt.MapClaims)["ath"]; ok {
		t.Fatal("a proof without -token has ath")
	}
	if again, _ := runOK(t, "-key", keyFile, "-jkt"); strings.TrimSpace(again) != jkt {
		t.Fatalf("the key changed: %s, then %s", jkt, again)
	}
}

// ecPublicKey reads a P-256 public JWK.
func ecPublicKey(t *testing.T, jwk map[string]any) *ecdsa.PublicKey {
	t.Helper()
	xs, _ := jwk["x"].(string)
	ys, _ := jwk["y"].(string)
	x, err1 := base64.RawURLEncoding.DecodeString(xs)
	y, err2 := base64.RawURLEncoding.DecodeString(ys)
	if err1 != nil || err2 != nil || jwk["kty"] != "EC" || jwk["crv"] != "P-256" {
		t.Fatalf("jwk %v", jwk)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.pem")
	runOK(t, "-key", keyFile, "-jkt")
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	rsaKey := filepath.Join(dir, "rsa.pem")
	if err := os.WriteFile(rsaKey, rsaPKCS8(t), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"key readable by others": {"-key", keyFile, "-url", "https://api.example/"},
		"not a PEM key":          {"-key", garbage, "-url", "https://api.example/"},
		"not an ECDSA key":       {"-key", rsaKey, "-url", "https://api.example/"},
		"no -url":                {"-key", filepath.Join(dir, "new.pem")},
		"a stray argument":       {"-key", filepath.Join(dir, "new.pem"), "-url", "https://api.example/", "extra"},
		"a URL that is not one":  {"-key", filepath.Join(dir, "new.pem"), "-url", "https://api.example/%zz"},
		"a relative URL":         {"-key", filepath.Join(dir, "new.pem"), "-url", "/api/me"},
		"an unknown flag":        {"-nope"},
	} {
		var out, errOut bytes.Buffer
		if err := run(args, &out, &errOut); err == nil {
			t.Errorf("%s: no error", name)
		} else if out.Len() != 0 {
			t.Errorf("%s: printed %q beside the error", name, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "new.pem")); err == nil {
		t.Error("a command that failed on its arguments created a key")
	}
}

// rsaPKCS8 is a PKCS #8 RSA key, which the command does not take.
func rsaPKCS8(t *testing.T) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(authtest.NewDPoPKey(t, authtest.DPoPKeyRSA(1024)).Signer())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
