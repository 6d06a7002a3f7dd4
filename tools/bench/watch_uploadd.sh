#!/usr/bin/env bash
# uploadd's upload throughput with `taskscope watch` attached, against
# uploadd alone (the bar: >= 97%). Writes the "watch-uploadd" section of
# docs/BENCHMARKS.md (tools/bench/update-section.sh).
#
# Reuses the upload benchmark's pieces (tests/integration/lib/*.sh,
# tools/bench/bench_lib.sh, loadgen): a private redis-server on a free
# loopback port, a fresh uploadd per run on a new storage directory, loadgen
# for SECS seconds of SIZE uploads over CONNS connections. The two modes
# alternate within each of RUNS rounds; figures are medians (min, max) and
# the ratio comes from this invocation. In "watch" mode `taskscope watch -p
# PID -q` (default options) is attached before the load starts and stopped
# after it.
#
#   usage: tools/bench/watch_uploadd.sh [BUILD_DIR]   (root; make all first)
#   env: RUNS (default 3), SECS (10), SIZE (1M), CONNS (16), NO_DOC=1
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
export TS_ROOT=$root
TS_BUILD=$(cd "${1:-$root/build}" && pwd)
export TS_BUILD
RUNS=${RUNS:-3}
SECS=${SECS:-10}
SIZE=${SIZE:-1M}
CONNS=${CONNS:-16}
source "$root/tests/integration/lib/common.sh"
source "$root/tests/integration/lib/uploadd.sh"
source "$root/tools/bench/bench_lib.sh"

require_root
for f in "$TS_BUILD/taskscope" "$TS_BUILD/uploadd" "$TS_BUILD/bench/loadgen"; do
	[ -x "$f" ] || fail "$f is missing (make BUILD=$TS_BUILD all)"
done
start_redis
bench_store_init "$TS_BUILD/bench-data-watch"

# run_point MODE RUN: one loadgen run against a fresh uploadd; prints
# uploads/s and the uploadd's CPU seconds.
run_point() {
	local mode=$1 run=$2 w= cpu0 cpu1 lg
	start_fresh_uploadd
	if [ "$mode" = watch ]; then
		"$TS_BUILD/taskscope" watch -p "$UPLOADD_PID" -q >/dev/null 2>"$TEST_TMP/watch.err" &
		w=$!
		track_pid "$w"
		for _ in $(seq 600); do
			grep -q 'taskscope: watching' "$TEST_TMP/watch.err" && break
			kill -0 "$w" 2>/dev/null || fail "taskscope watch: $(cat "$TEST_TMP/watch.err")"
			sleep 0.05
		done
	fi
	cpu0=$(proc_cpu_s "$UPLOADD_PID")
	lg=$("$TS_BUILD/bench/loadgen" --json -s "$SIZE" -c "$CONNS" -d "$SECS" \
		-p "w$mode$run" "$UPLOADD_URL/upload" 2>"$TEST_TMP/loadgen.err") ||
		fail "loadgen got no 2xx answer: $(tail -3 "$TEST_TMP/loadgen.err")"
	cpu1=$(proc_cpu_s "$UPLOADD_PID")
	if [ -n "$w" ]; then
		kill -INT "$w"
		wait "$w" || fail "taskscope watch exited $?: $(cat "$TEST_TMP/watch.err")"
		forget_pid "$w"
	fi
	stop_tracked "$UPLOADD_PID"
	bench_discard "$UPLOADD_STORAGE" "$SIZE"
	python3 -c 'import json,sys; l=json.loads(sys.argv[1]); assert l["non_2xx"] == 0, l; print(l["uploads_per_s"], float(sys.argv[3]) - float(sys.argv[2]))' \
		"$lg" "$cpu0" "$cpu1"
}

declare -A ups cpus
for r in $(seq "$RUNS"); do
	for m in alone watch; do
		read -r u c < <(run_point "$m" "$r")
		ups[$m]="${ups[$m]:-} $u"
		cpus[$m]="${cpus[$m]:-} $c"
		echo "run $r $m: $u uploads/s, uploadd cpu $c s" >&2
	done
done
bench_store_cleanup

{
	echo "## taskscope watch on uploadd"
	echo
	"$root/tools/bench/machine.sh"
	echo
	echo "Command: \`RUNS=$RUNS SECS=$SECS SIZE=$SIZE CONNS=$CONNS tools/bench/watch_uploadd.sh $TS_BUILD\`"
	echo "(as root). loadgen sends $SIZE uploads over $CONNS keep-alive connections for"
	echo "$SECS s to a fresh uploadd (private redis-server, new storage directory);"
	echo "\"watch\" has \`taskscope watch -p PID -q\` attached (default options). The modes"
	echo "alternate within each of $RUNS rounds; the ratio is of the medians of this run."
	echo
	echo "| mode | median uploads/s | min | max | vs alone | median uploadd CPU s |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	python3 - "${ups[alone]}" "${ups[watch]}" "${cpus[alone]}" "${cpus[watch]}" <<'PY'
import statistics, sys
ua, uw, ca, cw = ([float(x) for x in a.split()] for a in sys.argv[1:5])
base = statistics.median(ua)
for name, u, c in (("alone", ua, ca), ("`taskscope watch -p PID -q`", uw, cw)):
    m = statistics.median(u)
    print(f"| {name} | {m:.1f} | {min(u):.1f} | {max(u):.1f} | {m / base * 100:.1f}% | {statistics.median(c):.2f} |")
PY
} >"$TEST_TMP/section.md"
cat "$TEST_TMP/section.md"
[ -n "${NO_DOC:-}" ] || "$root/tools/bench/update-section.sh" watch-uploadd <"$TEST_TMP/section.md"
