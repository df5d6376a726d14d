package hydra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Module and Version are what Binary builds: ORY Hydra, as the Go module
// proxy serves it.
const (
	Module  = "github.com/ory/hydra/v2"
	Version = "v2.3.0"
)

// buildTags are Hydra's own for a binary with SQLite (its Makefile's): the
// sqlite tag compiles in the cgo driver, which DSN=memory needs.
const buildTags = "sqlite,sqlite_omit_load_extension"

// Binary returns the path of a Hydra Version binary, building it on first
// use and keeping it in the user's cache directory
// (identsphere-interop/hydra-VERSION-GOOS-GOARCH/hydra), so that later runs
// skip the build. ctx bounds the build.
//
// The build is `go build` of the module as the proxy serves it, with one
// change to a copy of its go.mod: the module replaces its API client
// (github.com/ory/hydra-client-go/v2) with a directory the proxy's zip
// leaves out (a nested module), so the replace is dropped and the client's
// published release, which the hydra CLI's client commands use, comes from
// the proxy. The server does not use it. The build needs cgo (a C
// compiler) for SQLite, and takes one to a few minutes of CPU: less with
// SQLite's C compiled without optimisation and no debug information, which
// a test server that answers a few hundred requests does not need (CI
// builds it on every new machine).
func Binary(ctx context.Context) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("hydra: no cache directory for the binary: %w", err)
	}
	dir := filepath.Join(
		cache,
		"identsphere-interop",
		fmt.Sprintf("hydra-%s-%s-%s", Version, runtime.GOOS, runtime.GOARCH),
	)
	bin := filepath.Join(dir, "hydra")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("hydra: %w", err)
	}
	if err := build(ctx, dir, bin); err != nil {
		return "", fmt.Errorf("hydra: building %s@%s: %w", Module, Version, err)
	}
	return bin, nil
}

// build builds the binary into a temporary file of dir and renames it to
// bin, so that a build cut short, or two at once, never leave half a
// binary there.
func build(ctx context.Context, dir, bin string) error {
	src, err := moduleSource(ctx)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "identsphere-hydra-src-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	// The module cache is read-only; go mod edit writes go.mod.
	if err := os.CopyFS(work, os.DirFS(src)); err != nil {
		return fmt.Errorf("copying the module's source: %w", err)
	}
	if _, err := goCmd(ctx, work, "mod", "edit", "-dropreplace", "github.com/ory/hydra-client-go/v2"); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "hydra-*.tmp")
	if err != nil {
		return err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if _, err := goCmd(ctx, work, "build", "-tags", buildTags, "-gcflags=all=-dwarf=false", "-ldflags=-s -w",
		"-o", tmp.Name(), "."); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), bin)
}

// moduleSource downloads Module@Version from the module proxy (or finds it
// in the module cache) and returns its directory there.
func moduleSource(ctx context.Context) (string, error) {
	tmp, err := os.MkdirTemp("", "identsphere-hydra-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	out, err := goCmd(ctx, tmp, "mod", "download", "-json", Module+"@"+Version)
	if err != nil {
		return "", err
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil {
		return "", fmt.Errorf("go mod download: %w", err)
	}
	if m.Error != "" || m.Dir == "" {
		return "", fmt.Errorf("go mod download: %q", m.Error)
	}
	return m.Dir, nil
}

// goCmd runs the go command in dir, with cgo on (SQLite), outside any
// workspace, and with go.mod and go.sum updated as the build needs (the
// copy's go.sum lacks the client release). It returns standard output;
// standard error goes into the error.
func goCmd(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"CGO_ENABLED=1", "CGO_CFLAGS=-O0", "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) || ctx.Err() != nil {
			return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return nil, fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return out, nil
}
