#!/usr/bin/env bash
# What `taskscope watch` costs the process it watches, and what each of its
# BPF programs costs per run. Writes the "watch" section of
# docs/BENCHMARKS.md (tools/bench/update-section.sh).
#
# 1. Futex ping-pong (tests/targets/pingpong.c: two threads, one mutex, one
#    condition variable, ROUNDS round trips): alone, with `taskscope watch`
#    attached (default options, -q), with `--min-block 0` (every wait
#    reported), and with bcc's offcputime as the reference: both its
#    libbpf-tools build (/usr/sbin/offcputime, Debian's libbpf-tools: CO-RE,
#    sched_switch tracepoint) and the Python one (offcputime-bpfcc). The modes
#    alternate within each of RUNS rounds; the medians' ratio to "alone"
#    comes from the same invocation.
# 2. Per-run cost of every watch program with kernel.bpf_stats_enabled=1
#    (bpftool prog show: run_time_ns / run_cnt), over a mixed workload:
#    ping-pong, 2,000 short-lived threads, a socket read, --stacks.
#
#   usage: tools/bench/watch_overhead.sh [BUILD_DIR]   (root; make all first)
#   env: ROUNDS (default 1000000), RUNS (default 3), NO_DOC=1 (print only)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
ROUNDS=${ROUNDS:-1000000}
RUNS=${RUNS:-3}
ts=$build/taskscope
pp=$build/targets/pingpong
offcpu=/usr/sbin/offcputime-bpfcc
offcpu_libbpf=/usr/sbin/offcputime
tmp=$(mktemp -d /tmp/watch-bench.XXXXXX)
pids=()

[ "$(id -u)" -eq 0 ] || { echo "watch_overhead: needs root to load BPF programs" >&2; exit 1; }
for f in "$ts" "$pp" "$build/targets/shortlived_target" "$build/targets/sockdelay_target" \
	 "$build/targets/mutexhold_target"; do
	[ -x "$f" ] || { echo "watch_overhead: $f is missing (make BUILD=$build all)" >&2; exit 1; }
done
old_stats=$(cat /proc/sys/kernel/bpf_stats_enabled)

cleanup() {
	local p
	for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]+"${pids[@]}"}"; do wait "$p" 2>/dev/null || true; done
	echo "$old_stats" > /proc/sys/kernel/bpf_stats_enabled
	rm -rf "$tmp"
}
trap cleanup EXIT

# wait_for FILE PATTERN PID: until FILE has PATTERN (PID must stay alive).
wait_for() {
	for _ in $(seq 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# start_pingpong ROUNDS: starts it waiting for $tmp/go; sets PP.
start_pingpong() {
	rm -f "$tmp/go" "$tmp/pp.out"
	"$pp" "$1" --wait-for-file "$tmp/go" >"$tmp/pp.out" &
	PP=$!
	pids+=("$PP")
	wait_for "$tmp/pp.out" '^ready' "$PP"
}

# start_tracer MODE: attaches MODE to $PP; sets TR (empty: none). Returns 1
# when the tracer cannot run ($tmp/tracer.err says why).
start_tracer() {
	TR=
	case $1 in
	alone) return 0 ;;
	watch) "$ts" watch -p "$PP" -q >/dev/null 2>"$tmp/tracer.err" & ;;
	watch-all) "$ts" watch -p "$PP" -q --min-block 0 >/dev/null 2>"$tmp/tracer.err" & ;;
	offcputime) "$offcpu" -p "$PP" >/dev/null 2>"$tmp/tracer.err" & ;;
	offcputime-libbpf)
		[ -x "$offcpu_libbpf" ] || { echo "$offcpu_libbpf is missing (apt-get install libbpf-tools)" >"$tmp/tracer.err"; return 1; }
		"$offcpu_libbpf" -p "$PP" >/dev/null 2>"$tmp/tracer.err" & ;;
	esac
	TR=$!
	pids+=("$TR")
	case $1 in
	watch*) wait_for "$tmp/tracer.err" 'taskscope: watching' "$TR" ;;
	offcputime) # bcc prints nothing when attached: give it time, then check
		sleep 8; kill -0 "$TR" 2>/dev/null ;;
	offcputime-libbpf) # silent too, but loads in well under a second
		sleep 2; kill -0 "$TR" 2>/dev/null ;;
	esac
}

stop_tracer() {
	[ -n "$TR" ] || return 0
	kill -INT "$TR" 2>/dev/null || true
	wait "$TR" 2>/dev/null || true
}

# One ping-pong run under MODE: prints "rate cpu_ns_per_round_trip", or
# "-" if MODE cannot run.
run_once() {
	local rate cpu
	start_pingpong "$ROUNDS"
	if ! start_tracer "$1"; then
		kill "$PP"; wait "$PP" 2>/dev/null || true
		echo "-"
		return
	fi
	touch "$tmp/go"
	wait "$PP"
	stop_tracer
	rate=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' "$tmp/pp.out")
	cpu=$(sed -n 's/.*cpu_ns_per_rt=\([0-9]*\).*/\1/p' "$tmp/pp.out")
	[ -n "$rate" ] && [ -n "$cpu" ] && echo "$rate $cpu" || echo "-"
}

stats() { # numbers... -> "median min max" (integers)
	python3 -c 'import statistics,sys; v=[int(x) for x in sys.argv[1:]]; print(int(statistics.median(v)), min(v), max(v))' "$@"
}

modes=(alone watch watch-all offcputime-libbpf offcputime)
declare -A rates cpus reasons
for r in $(seq "$RUNS"); do
	for m in "${modes[@]}"; do
		[ -n "${reasons[$m]:-}" ] && continue
		v=$(run_once "$m")
		if [ "$v" = "-" ]; then
			case $m in offcputime*) ;; *) echo "watch_overhead: $m failed: $(cat "$tmp/tracer.err")" >&2; exit 1 ;; esac
			reasons[$m]=$(grep -vE '^\s|^Traceback|^  File' "$tmp/tracer.err" | tr '\n' ' ' | cut -c1-400)
			[ -n "${reasons[$m]}" ] || reasons[$m]="exited without a message"
			continue
		fi
		rates[$m]="${rates[$m]:-} ${v% *}"
		cpus[$m]="${cpus[$m]:-} ${v#* }"
		echo "run $r $m: ${v% *} round trips/s, ${v#* } ns CPU per round trip" >&2
	done
done

# Per-run cost of each program, kernel statistics on, mixed workload.
echo 1 > /proc/sys/kernel/bpf_stats_enabled
declare -A cost_ns cost_cnt
# The running watch's tsw_* program stats, one "name ns count" a line.
prog_stats() {
	bpftool prog show --json | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p.get("name", "").startswith("tsw_") and p.get("run_cnt"):
        print(p["name"], p.get("run_time_ns", 0), p["run_cnt"])'
}
# workload NAME ARGS... (watch flags in WFLAGS): runs the target under
# watch, sampling the programs' stats until the target ends (watch unloads
# them right after), and adds the last sample to the totals.
workload() {
	local name=$1 w line
	shift
	rm -f "$tmp/go" "$tmp/t.out" "$tmp/stats"
	"$build/targets/$name" "$@" --wait-for-file "$tmp/go" >"$tmp/t.out" &
	PP=$!
	pids+=("$PP")
	wait_for "$tmp/t.out" '^ready' "$PP"
	"$ts" watch -p "$PP" -q $WFLAGS >/dev/null 2>"$tmp/w.err" &
	w=$!
	pids+=("$w")
	wait_for "$tmp/w.err" 'taskscope: watching' "$w"
	touch "$tmp/go"
	while kill -0 "$PP" 2>/dev/null; do
		prog_stats > "$tmp/stats.new" && mv "$tmp/stats.new" "$tmp/stats"
		sleep 0.05
	done
	while read -r line; do
		set -- $line
		cost_ns[$1]=$(( ${cost_ns[$1]:-0} + $2 ))
		cost_cnt[$1]=$(( ${cost_cnt[$1]:-0} + $3 ))
	done < "$tmp/stats"
	wait "$PP" 2>/dev/null || true
	kill -INT "$w" 2>/dev/null || true
	wait "$w" 2>/dev/null || true
}
WFLAGS="" workload pingpong 200000
WFLAGS="" workload shortlived_target 2000 2000
WFLAGS="" workload sockdelay_target 100 "$tmp/man"
WFLAGS="--stacks --min-block 50ms" workload mutexhold_target 200 "$tmp/man2"
echo "$old_stats" > /proc/sys/kernel/bpf_stats_enabled

# Report.
{
	read -r a_med a_min a_max < <(stats ${rates[alone]})
	read -r c_med c_min c_max < <(stats ${cpus[alone]})
	echo "## taskscope watch overhead"
	echo
	"$root/tools/bench/machine.sh"
	echo
	echo "Command: \`ROUNDS=$ROUNDS RUNS=$RUNS tools/bench/watch_overhead.sh $build\` (as root)."
	echo "Futex ping-pong (\`tests/targets/pingpong.c\`: two threads, one mutex, one"
	echo "condition variable, $ROUNDS round trips); the modes alternate within each of"
	echo "$RUNS rounds; ratios are medians against the median alone, from this run."
	echo "Throughput is wall-clock round trips per second (the bar: >= 95% of alone);"
	echo "CPU is user + system time of both ping-pong threads per round trip, where"
	echo "the BPF programs' work lands (they run in the target's threads), and which"
	echo "other load on the machine disturbs much less than the wall-clock rate."
	echo
	echo "| mode | median round trips/s | min | max | throughput vs alone | median CPU ns per round trip | CPU vs alone |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for m in "${modes[@]}"; do
		case $m in
		alone) label="alone" ;;
		watch) label="\`taskscope watch -p PID -q\` (default --min-block 1ms)" ;;
		watch-all) label="\`taskscope watch -p PID -q --min-block 0\` (every wait reported)" ;;
		offcputime-libbpf) label="bcc's libbpf-tools \`offcputime -p PID\`" ;;
		offcputime) label="bcc \`offcputime-bpfcc -p PID\`" ;;
		esac
		if [ -z "${rates[$m]:-}" ]; then
			echo "| $label | could not run | | | | | |"
			continue
		fi
		read -r med mn mx < <(stats ${rates[$m]})
		read -r cmed _ _ < <(stats ${cpus[$m]})
		ratio=$(python3 -c "print(f'{$med / $a_med * 100:.1f}%')")
		cratio=$(python3 -c "print(f'{$cmed / $c_med * 100:.1f}%')")
		echo "| $label | $med | $mn | $mx | $ratio | $cmed | $cratio |"
	done
	if [ -n "${reasons[offcputime-libbpf]:-}" ]; then
		echo
		echo "bcc's libbpf-tools offcputime could not run: \`${reasons[offcputime-libbpf]}\`"
	fi
	if [ -n "${reasons[offcputime]:-}" ]; then
		echo
		echo "bcc's Python offcputime could not run on this machine: \`${reasons[offcputime]}\`"
		echo "(it compiles its BPF program at run time against kernel headers, which this"
		echo "kernel does not ship: no /lib/modules/$(uname -r)/build, no CONFIG_IKHEADERS;"
		echo "and it attaches a kprobe to finish_task_switch, while this kernel has no"
		echo "kprobes at all). The libbpf-tools row above is the same tool of the bcc"
		echo "project built with CO-RE: it records a stack per switch from the"
		echo "sched_switch tracepoint, and is the reference measured here."
	fi
	echo
	echo "Per-run cost of each watch program, kernel.bpf_stats_enabled=1 (bpftool prog"
	echo "show run_time_ns / run_cnt), over ping-pong 200,000 round trips, 2,000"
	echo "short-lived threads at 2,000/s, a delayed socket read, and a mutex wait with"
	echo "--stacks. Runs count every task on the machine: other processes' runs end"
	echo "after one compare."
	echo
	echo "| program | runs | avg ns per run |"
	echo "| --- | ---: | ---: |"
	for p in $(printf '%s\n' "${!cost_cnt[@]}" | sort); do
		echo "| $p | ${cost_cnt[$p]} | $(( cost_ns[$p] / cost_cnt[$p] )) |"
	done
} > "$tmp/section.md"
cat "$tmp/section.md"
[ -n "${NO_DOC:-}" ] || "$root/tools/bench/update-section.sh" watch < "$tmp/section.md"
