#!/bin/sh
# Runs this module's benchmarks, the unknown-kid flood and the load test,
# and prints their tables (Markdown) on standard output.
#
#   ./run.sh                 everything
#   ./run.sh bench           only the benchmarks and their table
#   ./run.sh flood | load    only that program
#
# ROUNDS (default 5) is how many times every benchmark runs; rounds are
# interleaved (all benchmarks, then all again) and the table shows medians.
# BENCHTIME (default 1s) is each benchmark's timed length per round.
# RAW=file keeps the raw benchmark output there.
# BENCH=regexp runs only the benchmarks it matches (default: all), such as
# BENCH='Identsphere/.*/^cached$' for the cache hits, header and cookie.
set -eu
cd "$(dirname "$0")"

what=${1:-all}
rounds=${ROUNDS:-5}
benchtime=${BENCHTIME:-1s}
pattern=${BENCH:-.}

load() { uptime | sed 's/.*load average: */load average /'; }

run_bench() {
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	go test -c -o "$tmp/bench.test" .
	raw=${RAW:-$tmp/raw.txt}
	: >"$raw"
	{
		echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "# $(go version)"
		echo "# $(nproc 2>/dev/null || echo '?') cores; ${rounds} rounds of -benchtime ${benchtime}"
		go list -m github.com/golang-jwt/jwt/v5 github.com/MicahParks/keyfunc/v3 \
			github.com/auth0/go-jwt-middleware/v2 github.com/go-chi/jwtauth/v5 \
			github.com/go-chi/chi/v5 github.com/gin-gonic/gin github.com/auth0/go-jwt-middleware/v3 \
			google.golang.org/grpc github.com/grpc-ecosystem/go-grpc-middleware/v2 | sed 's/^/# /'
		echo "# $(load) before the run"
	} >>"$raw"
	i=1
	while [ "$i" -le "$rounds" ]; do
		echo "round $i/$rounds ($(load))" >&2
		"$tmp/bench.test" -test.run '^$' -test.bench "$pattern" -test.benchtime "$benchtime" >>"$raw"
		echo "# round $i: $(load) at its end" >>"$raw"
		i=$((i + 1))
	done
	go run ./cmd/table <"$raw"
}

case $what in
all)
	run_bench
	echo
	go run ./cmd/flood
	echo
	go run ./cmd/load
	;;
bench) run_bench ;;
flood) go run ./cmd/flood ;;
load) go run ./cmd/load ;;
*)
	echo "usage: $0 [all|bench|flood|load]" >&2
	exit 2
	;;
esac
