package authcases

import (
	"iter"
	"slices"
	"testing"
	"time"
)

// freshFor is how long Table sends a minting's tokens before it mints them
// again: well inside the narrowest window a case is about (a token that
// expired 10 s ago passes while the 30 s leeway covers it, so for 20 s; a
// DPoP proof is fresh for a minute).
const freshFor = 5 * time.Second

// Table is the table of Cases for one Env, minted again as it is run
// whenever its tokens are older than a few seconds. A run of every case
// through several transports and kinds of call takes longer than some
// cases' windows on a loaded machine; with the tokens of one minting, a
// token "expired within the leeway" would by then have expired beyond it,
// and the case would fail for the run's slowness, not for the code.
type Table struct {
	tb     testing.TB
	env    *Env
	choose func([]Case) []Case
	cases  []Case
	minted time.Time
}

// NewTable mints the table of e's cases that choose keeps, such as
// RPCCases; all of them when choose is nil.
func NewTable(tb testing.TB, e *Env, choose func([]Case) []Case) *Table {
	tb.Helper()
	t := &Table{tb: tb, env: e, choose: choose}
	t.mint()
	return t
}

// Len is the number of cases.
func (t *Table) Len() int { return len(t.cases) }

// All yields the cases in order, each from a minting at most a few seconds
// old. Every minting lists the same cases in the same order.
func (t *Table) All() iter.Seq[Case] {
	return func(yield func(Case) bool) {
		for i := range t.cases {
			if time.Since(t.minted) > freshFor {
				t.mint()
			}
			if !yield(t.cases[i]) {
				return
			}
		}
	}
}

func (t *Table) mint() {
	t.tb.Helper()
	start := time.Now() // the tokens' times are relative to a moment after it
	cases := Cases(t.env)
	if t.choose != nil {
		cases = t.choose(cases)
	}
	if t.cases != nil && !slices.EqualFunc(cases, t.cases, func(a, b Case) bool { return a.Name == b.Name }) {
		t.tb.Fatalf("authcases: a new minting of the table lists other cases than the first")
	}
	t.cases, t.minted = cases, start
}
