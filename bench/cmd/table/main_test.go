package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	rows, notes, err := parse(openSample(t, "identsphere.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0].name != "Identsphere/chiauth/cached" {
		t.Fatalf("rows: %+v", rows)
	}
	if got, _ := rows[0].median("auth-cpu-x-floor"); got != 0.040 {
		t.Errorf("median = %v, want 0.040", got)
	}
	if len(notes) != 2 {
		t.Errorf("notes = %q", notes)
	}
	assertTable(t, rows,
		"Medians of 3 rounds",
		"| **chiauth**, cache hit, header | 0.040 [0.030–0.060] | 0.045 | 3.0 |",
		"| **ginauth**, cache hit, header | 0.030 | 0.040 | 5.0 |",
		"| ≤ 0.05×, ≤ 3 allocs | yes |",
		"| **stdauth**, cache hit, cookie | 0.034 | 0.036 | 1.0 | 15 | 11000 | 39000 | ≤ 0.035×, ≤ 1 allocs | **no** |",
		"| **chiauth**, cache hit, cookie | 0.030 | 0.031 | 1.0 | 17 | 11000 | 39000 | ≤ 0.035×, ≤ 1 allocs | yes |",
		"Targets missed: Identsphere/ginauth/cached, Identsphere/stdauth-cookie/cached",
	)
}

// assertTable writes rows as the table and checks that it holds each of
// wants.
func assertTable(t *testing.T, rows []*row, wants ...string) {
	t.Helper()
	var buf bytes.Buffer
	write(&buf, rows)
	out := buf.String()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// openSample opens testdata/name, the output of a benchmark run, for the
// test's duration.
func openSample(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
