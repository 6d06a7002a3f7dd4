#!/usr/bin/env bash
# Benchmark of the cross-process resolver (src/taskscope/xproc/) against
# the /proc walk lsof does, at ~200 and ~1,000 processes: enough children of
# tests/targets/xproc_many (each holding a TCP connection, a unix socket
# pair and a pipe to its parent) are started to bring the machine's process
# count to each total. Per total, medians of RUNS:
#   - `taskscope snapshot --all --json` (every process: pass, unwinding,
#     peers, chains, JSON), wall and CPU, and the resolver's phases from -v;
#   - `lsof -nP -i -U`: lsof doing the socket-to-process part alone (every
#     internet and unix socket with its process), wall and CPU;
#   - the resolver's kernel pass alone (build/bench/xproc_pass: the file,
#     TCP and unix iterators read and indexed) and its one-time BPF load;
#   - the same mapping by a /proc walk (build/bench/procwalk: every
#     /proc/PID/fd link, /proc/net/tcp{,6} and unix, TCP peers joined).
# Prints a markdown section (the commands, the machine, a table) on stdout.
#   usage: tools/bench/xproc_bench.sh [BUILD_DIR]
#   (root; RUNS=9; TOTALS="200 1000" process counts to reach)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
runs=${RUNS:-9}
totals=${TOTALS:-200 1000}
ts=$build/taskscope
[ "$(id -u)" -eq 0 ] || { echo "xproc_bench: needs root to load BPF programs" >&2; exit 1; }
for b in "$ts" "$build/targets/xproc_many" "$build/bench/xproc_pass" "$build/bench/procwalk"; do
	[ -x "$b" ] || { echo "xproc_bench: $b missing: make BUILD=$build all" >&2; exit 1; }
done
command -v lsof >/dev/null || { echo "xproc_bench: lsof missing (apt-get install lsof)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/xproc-bench.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
nprocs() { ls /proc | grep -cE '^[0-9]+$'; }

# timed OUT ERR CMD...: prints "wall_ms cpu_ms" of CMD (stdout to OUT).
timed() {
	python3 - "$@" <<'PY'
import os, sys, time
out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 1)
    os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
    os.execvp(cmd[0], cmd)
_, status, ru = os.wait4(pid, 0)
if status:
    sys.exit(f"{cmd[0]} failed (status {status}): see {err}")
print(f"{(time.monotonic() - t0) * 1e3:.1f} {(ru.ru_utime + ru.ru_stime) * 1e3:.1f}")
PY
}

# median_of FILE: "median (min-max)" of the numbers in FILE, one a line.
median_of() {
	python3 -c 'import statistics,sys; v=[float(x) for x in open(sys.argv[1])]; print(f"{statistics.median(v):.1f} ({min(v):.1f}-{max(v):.1f})")' "$1"
}

echo "## Cross-process resolver"
echo
echo "Machine: $(nproc) CPUs, $(uname -r); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "Command: \`tools/bench/xproc_bench.sh $build\` (RUNS=$runs, TOTALS=\"$totals\")."
echo "Load: tests/targets/xproc_many children (a TCP connection, a unix socket"
echo "pair and a pipe each, to their parent) up to the total process count."
echo "Median (min-max) of $runs runs, ms."
echo
echo "| processes | socket/pipe fds | what | wall ms | CPU ms |"
echo "| ---: | ---: | --- | ---: | ---: |"
for total in $totals; do
	have=$(nprocs)
	n=$((total - have - 1))
	if [ "$n" -gt 0 ]; then
		rm -f "$tmp/many.json"
		"$build/targets/xproc_many" "$n" "$tmp/many.json" >/dev/null 2>&1 &
		pid=$!
		for _ in $(seq 600); do [ -s "$tmp/many.json" ] && break; sleep 0.05; done
		[ -s "$tmp/many.json" ] || { echo "xproc_bench: xproc_many $n did not start" >&2; exit 1; }
	fi
	sleep 0.5
	procs=$(nprocs)
	: >"$tmp/all.w"; : >"$tmp/all.c"; : >"$tmp/lsof.w"; : >"$tmp/lsof.c"
	: >"$tmp/xload"; : >"$tmp/xpass"; : >"$tmp/xmatch"
	for _ in $(seq "$runs"); do
		read -r w c < <(timed "$tmp/all.json" "$tmp/all.err" "$ts" -v snapshot --all --json)
		echo "$w" >>"$tmp/all.w"; echo "$c" >>"$tmp/all.c"
		sed -n 's/.*xproc: load \([0-9.]*\) ms, pass \([0-9.]*\) ms, match \([0-9.]*\) ms.*/\1 \2 \3/p' \
			"$tmp/all.err" | { read -r l p m; echo "$l" >>"$tmp/xload"; echo "$p" >>"$tmp/xpass"; echo "$m" >>"$tmp/xmatch"; }
		read -r w c < <(timed "$tmp/lsof.out" "$tmp/lsof.err" lsof -nP -i -U)
		echo "$w" >>"$tmp/lsof.w"; echo "$c" >>"$tmp/lsof.c"
	done
	"$build/bench/xproc_pass" "$runs" >"$tmp/xp.json"
	"$build/bench/procwalk" "$runs" >"$tmp/pw.json"
	fds=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["files"])' "$tmp/xp.json")
	echo "| $procs | $fds | \`taskscope snapshot --all --json\` | $(median_of "$tmp/all.w") | $(median_of "$tmp/all.c") |"
	echo "| $procs | $fds | its resolver: BPF load (after the pass) / iterators read / match | $(median_of "$tmp/xload") / $(median_of "$tmp/xpass") / $(median_of "$tmp/xmatch") | |"
	echo "| $procs | $fds | \`lsof -nP -i -U\` (sockets to processes alone) | $(median_of "$tmp/lsof.w") | $(median_of "$tmp/lsof.c") |"
	python3 - "$tmp/xp.json" "$tmp/pw.json" "$procs" "$fds" <<'PY'
import json, statistics, sys
xp, pw = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
procs, fds = sys.argv[3], sys.argv[4]
def m(v):
    return f"{statistics.median(v):.1f} ({min(v):.1f}-{max(v):.1f})"
print(f"| {procs} | {fds} | resolver pass alone (xproc_pass: iterators + index; load {xp['load_ms']:.1f} once) | {m(xp['pass_ms'])} | |")
print(f"| {procs} | {fds} | /proc walk (procwalk: fd links, /proc/net/tcp,tcp6,unix, TCP peers) | {m(pw['ms'])} | |")
PY
	if [ -n "$pid" ]; then
		kill "$pid"; wait "$pid" 2>/dev/null || true
		pid=
		# Its children die with it; the next count waits for them.
		for _ in $(seq 200); do
			[ "$(pgrep -c -x xp-many-child || true)" = 0 ] && break
			sleep 0.05
		done
	fi
done
echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
