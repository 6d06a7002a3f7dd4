#!/usr/bin/env bash
# Goroutine snapshot cost: taskscope snapshot of a Go program with N idle
# goroutines (tests/targets/go/gowait -idle N, no spinner, with its gap
# meter: a goroutine locked to a thread that records the longest pause it
# sees), against Go's own /debug/pprof/goroutine?debug=2 dump of the same
# process, which stops the world. Prints a markdown table: wall time of
# each, and the longest gap the program saw during each (the noise floor
# is the "idle" row: the same window with nothing running).
#   usage: tools/bench/go_snapshot_bench.sh [BUILD_DIR] [N...]  (default 1000 10000)
#   RUNS=5 by default. Needs root.
set -euo pipefail
build=$(cd "${1:-build}" && pwd); shift || true
sizes=("${@:-1000 10000}")
[ ${#sizes[@]} -eq 1 ] && read -r -a sizes <<<"${sizes[0]}"
runs=${RUNS:-5}
ts=$build/taskscope gowait=$build/targets/go/gowait
tmp=$(mktemp -d /tmp/go-snapshot-bench.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

gap_ms() { # reset, run "$@", read the gap meter
	kill -USR1 "$pid"; sleep 0.2
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	rm -f "$tmp/gap"; kill -USR1 "$pid"
	for _ in $(seq 100); do [ -s "$tmp/gap" ] && break; sleep 0.02; done
	awk -v w=$(((t1 - t0) / 1000)) '{printf "%.1f %.2f\n", w / 1000, $1 / 1e6}' "$tmp/gap"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

echo "| goroutines | tool | wall ms (median of $runs) | max gap in target ms (median) |"
echo "| ---: | --- | ---: | ---: |"
for n in "${sizes[@]}"; do
	"$gowait" -idle "$n" -spin=false -gap-file "$tmp/gap" >"$tmp/out" 2>&1 &
	pid=$!
	for _ in $(seq 200); do grep -q ready "$tmp/out" && break; sleep 0.05; done
	port=$(awk '/ready/{print $2}' "$tmp/out")
	for tool in idle taskscope go-debug2; do
		: >"$tmp/r"
		for _ in $(seq "$runs"); do
			case $tool in
			idle) gap_ms sleep 0.1 ;;
			taskscope) gap_ms "$ts" snapshot -p "$pid" --json ;;
			go-debug2) gap_ms curl -sf "http://127.0.0.1:$port/debug/pprof/goroutine?debug=2" ;;
			esac >>"$tmp/r"
		done
		echo "| $n | $tool | $(cut -d' ' -f1 "$tmp/r" | median) | $(cut -d' ' -f2 "$tmp/r" | median) |"
	done
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
done
