package examples_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// starters are the directories of the apps that obey the contract.
var starters = []string{"chi-starter", "gin-go-starter"}

// The starters are copied one at a time, so each holds its own copy of
// the code that does not depend on its router. Those files stay the same
// in both: a fix made in one starter is made in the other.
func TestStartersKeepTheirRouterNeutralFilesTheSame(t *testing.T) {
	for _, name := range []string{
		"config.go", "devmode.go", "dpop.go", "observability.go",
		"observability_test.go", "revocation.go", "server.go",
	} {
		var copies [][]byte
		for _, dir := range starters {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			copies = append(copies, b)
		}
		for i := 1; i < len(copies); i++ {
			if !bytes.Equal(copies[0], copies[i]) {
				t.Errorf("%s differs between %s and %s: make the same change in both", name, starters[0], starters[i])
			}
		}
	}
}
