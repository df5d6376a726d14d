// Command dpop-proof prints a DPoP proof (RFC 9449) for one request, so
// that DPoP-bound tokens can be tried with curl:
//
//	PROOF=$(go run ./examples/dpop-proof -url https://api.example.com/api/me -token "$TOKEN")
//	curl -H "Authorization: DPoP $TOKEN" -H "DPoP: $PROOF" https://api.example.com/api/me
//
// The proof goes to stdout; the key's JWK thumbprint (the jkt a token bound
// to it carries in cnf) to stderr, or alone to stdout with -jkt. A proof is
// good for one request, once, for about a minute: make a new one for each.
//
// The key is an ECDSA P-256 key kept in a PEM file (-key; by default in
// the user's cache directory), created on first use, readable by its owner
// only. It is the client's credential: whoever holds it can use the tokens
// bound to it. For development only.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/identsphere/identsphere-go/authtest"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dpop-proof:", err)
		os.Exit(2)
	}
}

// run is the command with its arguments and outputs passed in.
func run(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("dpop-proof", flag.ContinueOnError)
	fl.SetOutput(stderr)
	target := fl.String(
		"url",
		"",
		"the request's URL, as the service is configured to know it (IDENTSPHERE_PUBLIC_URL + path); query and "+
			"fragment are left out of the proof",
	)
	method := fl.String("method", "GET", "the request's method")
	token := fl.String(
		"token",
		"",
		"the access token the request carries (its hash goes in the proof's ath); empty for a token endpoint",
	)
	nonce := fl.String("nonce", "", "the server's nonce, from a DPoP-Nonce header, if it asks for one")
	keyFile := fl.String(
		"key",
		"",
		"the PEM file of the DPoP key, created if missing (default: dpop-key.pem in the user's cache directory)",
	)
	jktOnly := fl.Bool("jkt", false, "print the key's JWK thumbprint (cnf.jkt) and nothing else")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fl.Arg(0))
	}
	if !*jktOnly {
		if *target == "" {
			return errors.New("-url is required")
		}
		if u, err := url.Parse(*target); err != nil || !u.IsAbs() {
			return fmt.Errorf("-url must be an absolute URL, not %q", *target)
		}
	}
	path := *keyFile
	if path == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("no -key, and no cache directory: %w", err)
		}
		path = filepath.Join(dir, "identsphere", "dpop-key.pem")
	}
	key, err := loadOrCreateKey(path)
	if err != nil {
		return err
	}
	if *jktOnly {
		_, err := fmt.Fprintln(stdout, key.Thumbprint())
		return err
	}
	var opts []authtest.ProofOption
	if *nonce != "" {
		opts = append(opts, authtest.WithProofNonce(*nonce))
	}
	proof, err := key.SignProof(*method, *target, *token, opts...)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "jkt:", key.Thumbprint())
	_, err = fmt.Fprintln(stdout, proof)
	return err
}

// loadOrCreateKey reads the key at path, or creates one there. A key file
// that others may read or write is refused: the key is a credential.
func loadOrCreateKey(path string) (*authtest.DPoPKey, error) {
	data, err := readPrivate(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: not a PEM private key", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	signer, ok := parsed.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an ECDSA key", path)
	}
	return authtest.GenerateDPoPKey(authtest.DPoPKeySigner(signer))
}

// readPrivate reads a file that only its owner may read or write.
func readPrivate(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() || info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf(
			"%s: the key file must be a regular file that only its owner may read or write (chmod 600)",
			path,
		)
	}
	return io.ReadAll(io.LimitReader(f, 64<<10))
}

// createKey writes a new P-256 key to path, which must not exist, readable
// by its owner only.
func createKey(path string) (*authtest.DPoPKey, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	signer, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return authtest.GenerateDPoPKey(authtest.DPoPKeySigner(signer))
}
