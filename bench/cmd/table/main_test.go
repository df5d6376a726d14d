package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `# date: today
cpu: Some CPU
BenchmarkIdentsphere/chiauth/cached-2   1000   12000 ns/op   3.000 auth-allocs/op   0.040 auth-cpu-x-floor   0.045 auth-x-floor   40000 floor-ns/op   19 allocs/op
BenchmarkIdentsphere/chiauth/cached-2   1000   13000 ns/op   3.000 auth-allocs/op   0.060 auth-cpu-x-floor   0.050 auth-x-floor   41000 floor-ns/op   19 allocs/op
BenchmarkIdentsphere/chiauth/cached-2   1000   11000 ns/op   3.000 auth-allocs/op   0.030 auth-cpu-x-floor   0.040 auth-x-floor   39000 floor-ns/op   19 allocs/op
BenchmarkIdentsphere/ginauth/cached-2   1000   11000 ns/op   5.000 auth-allocs/op   0.030 auth-cpu-x-floor   0.040 auth-x-floor   39000 floor-ns/op   19 allocs/op
BenchmarkIdentsphere/stdauth-cookie/cached-2   1000   11000 ns/op   1.000 auth-allocs/op   0.034 auth-cpu-x-floor   0.036 auth-x-floor   39000 floor-ns/op   15 allocs/op
BenchmarkIdentsphere/chiauth-cookie/cached-2   1000   11000 ns/op   1.000 auth-allocs/op   0.030 auth-cpu-x-floor   0.031 auth-x-floor   39000 floor-ns/op   17 allocs/op
PASS
`

func TestTable(t *testing.T) {
	rows, notes, err := parse(strings.NewReader(sample))
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
	var buf bytes.Buffer
	write(&buf, rows)
	out := buf.String()
	for _, want := range []string{
		"Medians of 3 rounds",
		"| **chiauth**, cache hit, header | 0.040 [0.030–0.060] | 0.045 | 3.0 |",
		"| **ginauth**, cache hit, header | 0.030 | 0.040 | 5.0 |",
		"| ≤ 0.05×, ≤ 3 allocs | yes |",
		"| **stdauth**, cache hit, cookie | 0.034 | 0.036 | 1.0 | 15 | 11000 | 39000 | ≤ 0.035×, ≤ 1 allocs | **no** |",
		"| **chiauth**, cache hit, cookie | 0.030 | 0.031 | 1.0 | 17 | 11000 | 39000 | ≤ 0.035×, ≤ 1 allocs | yes |",
		"Targets missed: Identsphere/ginauth/cached, Identsphere/stdauth-cookie/cached",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
