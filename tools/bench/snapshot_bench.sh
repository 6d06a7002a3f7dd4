#!/usr/bin/env bash
# Benchmark of `taskscope snapshot` on 1,000- and 10,000-thread targets
# (tests/targets/many_threads: threads blocked on a condition variable plus
# one "gap-meter" thread), against eu-stack (elfutils: ptrace + DWARF) and,
# on the 1,000-thread target, gdb, all measured in the same invocation.
#
# Per tool and size: the wall time of the whole command as a user times it
# (`taskscope snapshot -p PID`, text, process start to exit), its CPU time
# (user + system of the process, which on a busy machine says more than
# wall time), and the largest gap the target's gap-meter thread saw between
# two consecutive clock reads during the command (the "is the target
# stopped" measurement). For taskscope also the --json form, the first run
# with an empty debug-info cache, and the phases `taskscope -v` reports.
# The "no tool" row is the noise floor: the same gap measurement over an
# idle half second. Writes the "snapshot" section of docs/BENCHMARKS.md.
#   usage: tools/bench/snapshot_bench.sh [BUILD_DIR]
#   (root; RUNS=9 taskscope runs; BASE_RUNS=3 runs of eu-stack and gdb on
#   1,000 threads, BASE_RUNS_10K=1 of eu-stack on 10,000: minutes each;
#   SIZES="1000 10000" thread counts; BASELINE_TS=path/to/other/taskscope
#   adds a row for another build, its runs alternating with taskscope's so
#   both see the same machine, and the ratio of their medians; SECTION=NAME
#   writes the section <!-- bench:NAME --> instead of "snapshot")
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
runs=${RUNS:-9}
base_runs=${BASE_RUNS:-3}
base_runs_10k=${BASE_RUNS_10K:-1}
sizes=${SIZES:-1000 10000}
ts=$build/taskscope
target=$build/targets/many_threads
[ "$(id -u)" -eq 0 ] || { echo "snapshot_bench: needs root to load BPF programs (and to ptrace for eu-stack)" >&2; exit 1; }
[ -x "$ts" ] && [ -x "$target" ] || { echo "snapshot_bench: build first: make BUILD=$build all" >&2; exit 1; }
command -v eu-stack >/dev/null || { echo "snapshot_bench: eu-stack missing (apt-get install elfutils, or tools/setup.sh)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/snapshot-bench.XXXXXX)
# A private debug-info cache: the first taskscope run starts from empty.
export TASKSCOPE_CACHE_DIR=$tmp/cache
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)

# timed OUT ERR CMD...: runs CMD with stdout to OUT and stderr to ERR;
# prints "wall_ms cpu_ms" (cpu: the child's user + system time).
timed() {
	python3 - "$@" <<'PY'
import os, resource, sys, time
out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 1)
    os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
    os.execvp(cmd[0], cmd)
_, status, ru = os.wait4(pid, 0)
wall = (time.monotonic() - t0) * 1e3
print(f"{wall:.1f} {(ru.ru_utime + ru.ru_stime) * 1e3:.1f}")
PY
}

# run_once TOOL: one dump of $pid; prints "wall_ms cpu_ms gap_ms"; for
# taskscope the phases are left in $tmp/phases.
run_once() {
	local tool=$1 wc
	rm -f "$tmp/gap"
	kill -USR1 "$pid"
	sleep 0.2
	case $tool in
	taskscope|taskscope-cold)
		wc=$(timed "$tmp/out.txt" "$tmp/err.txt" "$ts" -v snapshot -p "$pid")
		grep '^taskscope: debug: phase ' "$tmp/err.txt" >"$tmp/phases" || true
		;;
	taskscope-json)
		wc=$(timed "$tmp/out.json" "$tmp/err.txt" "$ts" snapshot -p "$pid" --json)
		;;
	baseline)
		wc=$(timed "$tmp/out.txt" "$tmp/err.txt" "$BASELINE_TS" snapshot -p "$pid")
		;;
	eu-stack)
		wc=$(timed "$tmp/out.txt" "$tmp/err.txt" eu-stack -p "$pid")
		;;
	gdb)
		wc=$(timed "$tmp/out.txt" "$tmp/err.txt" gdb -p "$pid" -batch -nx \
			-ex 'set pagination off' -ex 'thread apply all bt')
		;;
	none)
		wc=$(timed /dev/null /dev/null sleep 0.5)
		;;
	esac
	sleep 0.2
	kill -USR2 "$pid"
	for _ in $(seq 100); do [ -s "$tmp/gap" ] && break; sleep 0.02; done
	echo "$wc $(awk '{printf "%.2f", $1 / 1e6}' "$tmp/gap")"
}

# stats: reads numbers, prints "median min max".
stats() { python3 -c 'import sys,statistics as s; v=[float(x) for x in sys.stdin.read().split()]; print(f"{s.median(v):.1f} {min(v):.1f} {max(v):.1f}")'; }
fmt() { set -- $1; echo "$1 ms ($2–$3)"; }

# phase_table FILE: median wall and CPU per phase over the runs in FILE.
phase_table() {
	python3 - "$1" <<'PY'
import re, statistics as s, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"taskscope: debug: phase (\S+)\s+([\d.]+) ms wall\s+([\d.]+) ms cpu", line)
    if m:
        rows.setdefault(m.group(1), []).append((float(m.group(2)), float(m.group(3))))
for name, v in rows.items():
    print(f"| {name} | {s.median(w for w, _ in v):.1f} | {s.median(c for _, c in v):.1f} |")
PY
}

rows=()
phase_md=
for n in $sizes; do
	rm -f "$tmp/ready"
	"$target" "$n" "$tmp/ready" "$tmp/gap" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 600); do [ -s "$tmp/ready" ] && break; sleep 0.1; done
	[ -s "$tmp/ready" ] || { echo "snapshot_bench: target with $n threads not ready" >&2; exit 1; }
	tools=(none taskscope taskscope-json eu-stack)
	# The cache is empty only before the very first run.
	[ -d "$TASKSCOPE_CACHE_DIR" ] || tools=(taskscope-cold "${tools[@]}")
	[ "$n" -le 1000 ] && command -v gdb >/dev/null && tools+=(gdb)
	: >"$tmp/phases.$n"
	for tool in "${tools[@]}"; do
		: >"$tmp/$tool.runs"
		n_runs=$runs
		case $tool in
		taskscope-cold) n_runs=1 ;;
		eu-stack|gdb) n_runs=$base_runs; [ "$n" -gt 1000 ] && n_runs=$base_runs_10k ;;
		esac
		[ "$tool" = taskscope ] && : >"$tmp/baseline.runs"
		for _ in $(seq "$n_runs"); do
			run_once "$tool" >>"$tmp/$tool.runs"
			if [ "$tool" = taskscope ]; then
				cat "$tmp/phases" >>"$tmp/phases.$n"
				[ -n "${BASELINE_TS:-}" ] && run_once baseline >>"$tmp/baseline.runs"
			fi
		done
		wall=$(cut -d' ' -f1 "$tmp/$tool.runs" | stats)
		cpu=$(cut -d' ' -f2 "$tmp/$tool.runs" | stats)
		gap=$(cut -d' ' -f3 "$tmp/$tool.runs" | stats)
		extra=
		if [ "$tool" = taskscope-json ]; then
			extra=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["threads"]; print("complete stacks %d/%d" % (sum(x["stack_complete"] for x in t), len(t)))' "$tmp/out.json")
		fi
		rows+=("$n|$tool|$wall|$cpu|$gap|$extra|$n_runs")
		echo "# $n threads, $tool: wall $wall, cpu $cpu, gap $gap $extra" >&2
		if [ "$tool" = taskscope ] && [ -n "${BASELINE_TS:-}" ]; then
			bwall=$(cut -d' ' -f1 "$tmp/baseline.runs" | stats)
			bcpu=$(cut -d' ' -f2 "$tmp/baseline.runs" | stats)
			bgap=$(cut -d' ' -f3 "$tmp/baseline.runs" | stats)
			bextra=$(awk -v a="${wall%% *}" -v b="${bwall%% *}" -v c="${cpu%% *}" -v d="${bcpu%% *}" \
				'BEGIN{printf "this build / baseline: wall %.2f, CPU %.2f", a / b, c / d}')
			rows+=("$n|baseline|$bwall|$bcpu|$bgap|$bextra|$n_runs")
			echo "# $n threads, baseline: wall $bwall, cpu $bcpu; $bextra" >&2
		fi
	done
	phase_md+="
$n threads, \`taskscope -v snapshot -p PID\`, median of $runs runs:

| phase | wall ms | CPU ms |
| --- | ---: | ---: |
$(phase_table "$tmp/phases.$n")
"
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done

{
	echo "## taskscope snapshot"
	echo
	"$root/tools/bench/machine.sh"
	echo "Load average (1, 5, 15 min) at the start: $load_start; at the end:"
	echo "$(cut -d' ' -f1-3 /proc/loadavg); the run took $(( $(date +%s) - t_start )) s."
	echo
	echo "Command: \`tools/bench/snapshot_bench.sh $build\` (RUNS=$runs, SIZES=\"$sizes\","
	echo "BASE_RUNS=$base_runs, BASE_RUNS_10K=$base_runs_10k${BASELINE_TS:+, BASELINE_TS=$BASELINE_TS}). Target:"
	echo "\`tests/targets/many_threads N\`: N threads blocked in pthread_cond_wait, built"
	echo "without frame pointers, plus a gap-meter thread (nice -10, spinning: it keeps"
	echo "one of the two cores busy) that keeps the largest gap between consecutive"
	echo "CLOCK_MONOTONIC reads, reset before and read after each command. Wall time is"
	echo "the whole command, process start to exit, output to a file: for taskscope"
	echo "\`taskscope snapshot -p PID\` (text), BPF load, pass, DWARF unwinding,"
	echo "symbolization with file:line; \`--json\` is the same with JSON output."
	echo "CPU is the command's user + system time. \"first run\" is taskscope's first"
	echo "run with an empty debug-info cache (it inflates libc6-dbg's DWARF once)."
	echo "Median (min–max) of the runs counted in the last column."
	echo
	echo "| threads | tool | wall time | CPU time | max gap in target | wall vs eu-stack | notes | runs |"
	echo "| ---: | --- | ---: | ---: | ---: | ---: | --- | ---: |"
	for n in $sizes; do
		base=
		for r in "${rows[@]}"; do
			IFS='|' read -r rn tool wall cpu gap extra nr <<<"$r"
			[ "$rn" = "$n" ] && [ "$tool" = eu-stack ] && base=${wall%% *}
		done
		for r in "${rows[@]}"; do
			IFS='|' read -r rn tool wall cpu gap extra nr <<<"$r"
			[ "$rn" = "$n" ] || continue
			ratio=-
			if [ -n "$base" ]; then
				ratio=$(awk -v b="$base" -v w="${wall%% *}" 'BEGIN{printf "%.1fx faster", b / w}')
			fi
			case $tool in
			none) label="(no tool: 0.5 s idle)"; ratio=- ;;
			taskscope-cold) label="taskscope, first run" ;;
			taskscope-json) label="taskscope --json" ;;
			baseline) label="taskscope, baseline build (\`$BASELINE_TS\`)" ;;
			eu-stack) label=eu-stack; ratio="1 (baseline)" ;;
			*) label=$tool ;;
			esac
			echo "| $n | $label | $(fmt "$wall") | $(fmt "$cpu") | $(fmt "$gap") | $ratio | $extra | $nr |"
		done
	done
	echo
	echo "Phases (\`taskscope -v\`; CPU is the main thread's, prewarm runs on a helper"
	echo "thread at nice 19 while BPF loads; start is everything before BPF, output"
	echo "is formatting and writing):"
	echo "$phase_md"
	echo "Bars (issue 3): 1,000 threads < 100 ms and 10,000 < 1 s with stacks; no gap"
	echo "above 5 ms in the target during a snapshot. The no-tool row is what this"
	echo "machine's other load alone does to the gap meter in the same invocation."
} | tee "$tmp/section.md"
# SECTION=name writes elsewhere than the main "snapshot" section (a check
# on a loaded machine must not replace the quiet-machine figures).
"$root/tools/bench/update-section.sh" "${SECTION:-snapshot}" <"$tmp/section.md"
