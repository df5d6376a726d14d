package interop_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/goleak"

	"github.com/identsphere/identsphere-go/interop/internal/hydra"
)

// rootDir is the SDK's repository root, whose module builds the starters.
const rootDir = ".."

// starters are the starter apps under rootDir/examples.
var starters = []string{"chi-starter", "gin-go-starter"}

// binDir holds the starter binaries TestMain builds, named after their
// directories.
var binDir string

// hydraBin is the ORY Hydra binary TestMain builds, or finds built by an
// earlier run (hydra.Binary).
var hydraBin string

func TestMain(m *testing.M) {
	flag.Parse()
	gin.SetMode(gin.ReleaseMode)
	// The provider's example server logs every request through the default
	// logger; the tests read its answers instead. Our validators get loggers
	// of their own (testLogger).
	slog.SetDefault(slog.New(slog.DiscardHandler))

	dir, err := os.MkdirTemp("", "identsphere-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := build()
	if code == 0 {
		code = m.Run()
	}
	if code == 0 {
		// Everything a test starts, it stops: providers, servers, validators
		// (their key refreshes) and connections.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// build builds both starters in the root module, as a user would, and
// Hydra, at the same time. Under -race the starters are built with -race
// too. A failed build fails the run: nothing is skipped.
func build() int {
	if b, err := os.ReadFile(filepath.Join(rootDir, "go.mod")); err != nil ||
		!bytes.HasPrefix(b, []byte("module github.com/identsphere/identsphere-go\n")) {
		fmt.Fprintln(os.Stderr, "interop: run from the interop directory of the identsphere-go repository")
		return 1
	}
	errs := make([]error, len(starters)+1)
	var wg sync.WaitGroup
	wg.Go(func() {
		start := time.Now()
		hydraBin, errs[len(starters)] = hydra.Binary(context.Background())
		if d := time.Since(start); d > time.Second {
			fmt.Fprintf(
				os.Stderr,
				"interop: built %s@%s in %v (kept for later runs)\n",
				hydra.Module,
				hydra.Version,
				d.Round(time.Second),
			)
		}
	})
	for i, name := range starters {
		wg.Go(func() {
			args := []string{"build"}
			if raceEnabled {
				args = append(args, "-race")
			}
			args = append(args, "-o", filepath.Join(binDir, name), "./examples/"+name)
			cmd := exec.Command("go", args...)
			cmd.Dir = rootDir
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("building %s: %v\n%s", name, err, out)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

var trackOnce sync.Once

// trackSources reads the root module's sources from within a test. go test
// caches a passing result by the files the test binary opened while its
// tests ran; the starters are built by another process, so without this a
// changed starter (or a package only they import) would not invalidate a
// cached result.
func trackSources() {
	trackOnce.Do(func() {
		_ = filepath.WalkDir(rootDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				switch d.Name() {
				case ".git", "interop", "bench", "testdata":
					if path != rootDir {
						return filepath.SkipDir
					}
				}
				return nil
			}
			if name := d.Name(); strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum" {
				_, _ = os.ReadFile(path)
			}
			return nil
		})
	})
}
