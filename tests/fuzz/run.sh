#!/usr/bin/env bash
# Runs libFuzzer targets for a bounded time each and fails on any crash,
# leak, timeout (10 s per input) or broken invariant. Each target starts
# from its committed seeds (tests/fuzz/corpus/<name>/) plus what earlier
# runs in this build directory found ($FUZZ_DIR/corpus/<name>/, where new
# inputs go; the committed seeds are never modified). Targets run
# FUZZ_JOBS at a time (default: the number of CPUs).
#
#   usage: tests/fuzz/run.sh FUZZ_DIR SECONDS NAME...
#   (make fuzz calls it; FUZZ_SECONDS and FUZZ_ONLY choose)
#
# Prints one line per target (executions, exec/s, coverage, corpus) and
# writes the same as a markdown table to $FUZZ_DIR/results.md. A failing
# target's reproducer is kept as $FUZZ_DIR/artifacts/<name>-crash-...;
# rerun it with: $FUZZ_DIR/fuzz_<name> <that file>.
# Exit codes: 0 all clean, 1 a target failed, 2 usage.
set -uo pipefail

dir=${1:-}
secs=${2:-}
if [ -z "$dir" ] || [ -z "$secs" ] || [ $# -lt 3 ]; then
	echo "usage: $0 FUZZ_DIR SECONDS NAME... (see make fuzz)" >&2
	exit 2
fi
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
jobs=${FUZZ_JOBS:-$(nproc)}
mkdir -p "$dir/logs" "$dir/artifacts"

run_one() { # name
	local t=$1 bin=$dir/fuzz_$1 seeds=$root/tests/fuzz/corpus/$1
	local work=$dir/corpus/$1 dict=$root/tests/fuzz/$1.dict
	local args=(-max_total_time="$secs" -print_final_stats=1 -timeout=10
		    -rss_limit_mb=2048 -artifact_prefix="$dir/artifacts/$t-")
	[ -x "$bin" ] || { echo "fuzz: $bin is not built (make fuzz-build)" >"$dir/logs/$t.log"; return 1; }
	[ -f "$dict" ] && args+=(-dict="$dict")
	mkdir -p "$work"
	[ -d "$seeds" ] || seeds=
	"$bin" "${args[@]}" "$work" ${seeds:+"$seeds"} >"$dir/logs/$t.log" 2>&1
}

# Extracts "execs exec/s cov corpus" from a finished log.
stats() {
	local log=$1 execs rate cov corp
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	corp=$(grep -ao 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	echo "${execs:-?} ${rate:-?} ${cov:-?} ${corp:-?}"
}

declare -A rc_of
pids=() names=()
for t in "$@"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
	run_one "$t" &
	pids+=($!) names+=("$t")
done
for i in "${!pids[@]}"; do
	wait "${pids[$i]}"
	rc_of[${names[$i]}]=$?
done

failed=0
{
	echo "| target | seconds | executions | exec/s | coverage (edges) | corpus | result |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
} >"$dir/results.md"
printf '%-16s %10s %8s %6s %7s  %s\n' target executions exec/s cov corpus result
for t in "$@"; do
	read -r execs rate cov corp <<<"$(stats "$dir/logs/$t.log")"
	rc=${rc_of[$t]}
	if [ "$rc" -eq 0 ]; then result=ok; else result="FAILED (exit $rc)"; failed=1; fi
	printf '%-16s %10s %8s %6s %7s  %s\n' "$t" "$execs" "$rate" "$cov" "$corp" "$result"
	echo "| $t | $secs | $execs | $rate | $cov | $corp | $result |" >>"$dir/results.md"
done
for t in "$@"; do
	[ "${rc_of[$t]}" -eq 0 ] && continue
	echo "---- fuzz_$t failed; log: $dir/logs/$t.log"
	grep -a -m1 -A25 -E 'fuzz invariant failed|ERROR: |SUMMARY:|is not built' "$dir/logs/$t.log" | head -40
	ls "$dir/artifacts/$t-"* 2>/dev/null | sed 's/^/reproducer: /'
done
exit $failed
