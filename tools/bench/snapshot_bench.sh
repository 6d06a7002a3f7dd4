#!/usr/bin/env bash
# Benchmark of `taskscope snapshot` on 1,000- and 10,000-thread targets
# (tests/targets/many_threads: threads blocked on a condition variable plus
# one "gap-meter" thread), against eu-stack (elfutils: ptrace + DWARF) and,
# on the 1,000-thread target, gdb, all measured in the same invocation.
#
# Per tool and size: wall time of a full dump with stacks (median, min, max
# of RUNS runs), and the largest gap the target's gap-meter thread saw
# between two consecutive clock reads during the dump (the "is the target
# stopped" measurement). Writes the "snapshot" section of docs/BENCHMARKS.md.
# The "no tool" row is the noise floor: the same gap measurement over an
# idle half second, so load from other work on the machine shows.
#   usage: tools/bench/snapshot_bench.sh [BUILD_DIR]
#   (root; RUNS=5 taskscope runs; BASE_RUNS=3 runs of eu-stack and gdb,
#   which take minutes each on 10,000 threads)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
runs=${RUNS:-5}
base_runs=${BASE_RUNS:-3}
ts=$build/taskscope
target=$build/targets/many_threads
[ "$(id -u)" -eq 0 ] || { echo "snapshot_bench: needs root to load BPF programs (and to ptrace for eu-stack)" >&2; exit 1; }
[ -x "$ts" ] && [ -x "$target" ] || { echo "snapshot_bench: build first: make BUILD=$build all" >&2; exit 1; }
command -v eu-stack >/dev/null || { echo "snapshot_bench: eu-stack missing (apt-get install elfutils, or tools/setup.sh)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/snapshot-bench.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

now_ms() { date +%s%N | awk '{printf "%.3f", $1 / 1e6}'; }

# run_once TOOL: one dump of $pid; prints "wall_ms gap_ms [pass_ms unwind_ms]".
run_once() {
	local tool=$1 t0 t1 extra=
	rm -f "$tmp/gap"
	kill -USR1 "$pid"
	sleep 0.2
	t0=$(now_ms)
	case $tool in
	taskscope)
		"$ts" snapshot -p "$pid" --json >"$tmp/out.json"
		t1=$(now_ms)
		extra=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["collect_ms"], d["unwind_ms"], len(d["threads"]), sum(t["stack_complete"] for t in d["threads"]))' "$tmp/out.json")
		;;
	eu-stack)
		eu-stack -p "$pid" >"$tmp/out.txt" 2>/dev/null || true
		t1=$(now_ms)
		;;
	gdb)
		gdb -p "$pid" -batch -nx -ex 'set pagination off' -ex 'thread apply all bt' >"$tmp/out.txt" 2>/dev/null || true
		t1=$(now_ms)
		;;
	none)
		sleep 0.5
		t1=$(now_ms)
		;;
	esac
	sleep 0.2
	kill -USR2 "$pid"
	for _ in $(seq 100); do [ -s "$tmp/gap" ] && break; sleep 0.02; done
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}') $(awk '{printf "%.2f", $1 / 1e6}' "$tmp/gap") $extra"
}

# stats: reads numbers, prints "median min max".
stats() { python3 -c 'import sys,statistics as s; v=[float(x) for x in sys.stdin.read().split()]; print(f"{s.median(v):.1f} {min(v):.1f} {max(v):.1f}")'; }

rows=()
for n in 1000 10000; do
	rm -f "$tmp/ready"
	"$target" "$n" "$tmp/ready" "$tmp/gap" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 600); do [ -s "$tmp/ready" ] && break; sleep 0.1; done
	[ -s "$tmp/ready" ] || { echo "snapshot_bench: target with $n threads not ready" >&2; exit 1; }
	tools=(none taskscope eu-stack)
	[ "$n" -le 1000 ] && command -v gdb >/dev/null && tools+=(gdb)
	for tool in "${tools[@]}"; do
		: >"$tmp/$tool.runs"
		n_runs=$runs
		[ "$tool" = eu-stack ] || [ "$tool" = gdb ] && n_runs=$base_runs
		for _ in $(seq "$n_runs"); do run_once "$tool" >>"$tmp/$tool.runs"; done
		wall=$(cut -d' ' -f1 "$tmp/$tool.runs" | stats)
		gap=$(cut -d' ' -f2 "$tmp/$tool.runs" | stats)
		extra=
		if [ "$tool" = taskscope ]; then
			pass=$(cut -d' ' -f3 "$tmp/$tool.runs" | stats)
			unw=$(cut -d' ' -f4 "$tmp/$tool.runs" | stats)
			complete=$(awk '{print $6 "/" $5}' "$tmp/$tool.runs" | head -1)
			extra="pass ${pass%% *} ms, unwind+symbolize ${unw%% *} ms, complete stacks $complete"
		fi
		rows+=("$n|$tool|$wall|$gap|$extra")
		echo "# $n threads, $tool: wall $wall, gap $gap $extra" >&2
	done
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done

fmt() { set -- $1; echo "$1 ms ($2–$3)"; }
{
	echo "## taskscope snapshot"
	echo
	"$root/tools/bench/machine.sh"
	echo "Load average at the end of the run: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo
	echo "Command: \`tools/bench/snapshot_bench.sh $build\` (RUNS=$runs taskscope runs,"
	echo "BASE_RUNS=$base_runs eu-stack/gdb runs). Target:"
	echo "\`tests/targets/many_threads N\`: N threads blocked in pthread_cond_wait, built"
	echo "without frame pointers, plus a gap-meter thread (nice -10) that keeps the largest"
	echo "gap between consecutive CLOCK_MONOTONIC reads, reset before and read after each"
	echo "dump. Wall time is the whole command (process start, BPF load, pass, DWARF"
	echo "unwinding, symbolization with file:line, JSON/text output). Median (min–max)."
	echo
	echo "| threads | tool | wall time | max gap in target | ratio vs eu-stack | notes |"
	echo "| ---: | --- | ---: | ---: | ---: | --- |"
	for n in 1000 10000; do
		base=
		for r in "${rows[@]}"; do
			IFS='|' read -r rn tool wall gap extra <<<"$r"
			[ "$rn" = "$n" ] && [ "$tool" = eu-stack ] && base=${wall%% *}
		done
		for r in "${rows[@]}"; do
			IFS='|' read -r rn tool wall gap extra <<<"$r"
			[ "$rn" = "$n" ] || continue
			ratio=-
			if [ "$tool" != none ] && [ -n "$base" ]; then
				ratio=$(awk -v b="$base" -v w="${wall%% *}" 'BEGIN{printf "%.2fx faster", b / w}')
				[ "$tool" = eu-stack ] && ratio="1 (baseline)"
			fi
			label=$tool
			[ "$tool" = none ] && { label="(no tool: 0.5 s idle)"; ratio=-; }
			echo "| $n | $label | $(fmt "$wall") | $(fmt "$gap") | $ratio | $extra |"
		done
	done
	echo
	echo "Bars (issue 3): 1,000 threads < 100 ms and 10,000 < 1 s with stacks; no gap"
	echo "above 5 ms in the target during a snapshot."
} | tee "$tmp/section.md"
"$root/tools/bench/update-section.sh" snapshot <"$tmp/section.md"
