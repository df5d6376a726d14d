// Command apilist writes and checks the listings of the module's public API
// in api/: one file per public package, one line per exported identifier with
// its signature, sorted, as the Go project's own api/ files are. A change of
// the public API then shows as a diff of these files in review, next to its
// CHANGELOG line.
//
// From the module root:
//
//	go run ./internal/cmd/apilist -w   # regenerate api/
//	go run ./internal/cmd/apilist      # check: exit status 1 and a diff when api/ is stale
//
// TestAPIListingIsCurrent runs the check as part of go test ./..., so CI
// fails when a public API changed and api/ was not regenerated.
//
// Public packages are the packages of this module that are not main
// packages and not under internal/ or examples/. Types come from the
// compiler's export data (go list -export), so the listing is what an
// importer of the package sees, without positions or doc comments.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

// regenerate is the command a stale listing's error tells the reader to run.
const regenerate = "go run ./internal/cmd/apilist -w"

func main() {
	write := flag.Bool("w", false, "write api/ instead of checking it")
	flag.Parse()
	if err := run(".", *write, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "apilist:", err)
		os.Exit(1)
	}
}

// run lists the public API of the module in dir and writes it to dir/api/, or
// compares it with dir/api/ and reports every difference.
func run(dir string, write bool, out io.Writer) error {
	listings, err := moduleListings(dir)
	if err != nil {
		return err
	}
	if write {
		return writeListings(dir, listings)
	}
	diff, err := diffListings(dir, listings)
	if err != nil {
		return err
	}
	if diff != "" {
		fmt.Fprint(out, diff)
		return fmt.Errorf(
			"api/ is not the public API of the code; run %q and commit api/ with a CHANGELOG line",
			regenerate,
		)
	}
	return nil
}
