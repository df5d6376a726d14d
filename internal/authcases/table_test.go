package authcases

import (
	"testing"
	"time"
)

// A table whose tokens have aged past freshFor mints them again before the
// next case, and yields the same cases in the same order.
func TestTableMintsAgainWhenStale(t *testing.T) {
	env := NewCatalogueEnv(t)
	table := NewTable(t, env, RPCCases)
	first := table.cases
	var names []string
	i := 0
	for c := range table.All() {
		if i == 1 {
			table.minted = time.Now().Add(-freshFor - time.Second) // as if the first case took that long
		}
		if i == 2 && c.Name == first[2].Name && c.Auth[0] == first[2].Auth[0] {
			t.Errorf("case %q kept its token of the stale minting", c.Name)
		}
		names = append(names, c.Name)
		i++
	}
	if len(names) != len(first) {
		t.Fatalf("yielded %d cases, the table has %d", len(names), len(first))
	}
	for i, c := range first {
		if names[i] != c.Name {
			t.Fatalf("case %d: yielded %q, the first minting's is %q", i, names[i], c.Name)
		}
	}
	if time.Since(table.minted) > freshFor {
		t.Errorf("the table was not minted again")
	}
}
