#!/usr/bin/env bash
# Profiles uploadd under one point of the benchmark's load and prints where
# its time goes: CPU per upload and Redis commands per upload (clean run),
# then a system-wide perf profile filtered to uploadd (thread names, self
# symbols, inclusive pipeline functions), thread states sampled from /proc
# (what blocked threads wait in), and strace's syscalls per upload. Each
# phase gets its own loadgen run against the same warmed-up uploadd; perf
# and strace slow it down, so only the first phase's figures are speeds.
# Root is needed for perf -a and /proc/PID/task/*/stack.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
usage() {
	cat <<'EOF'
upload_profile.sh: where uploadd's time goes under one benchmark load

Usage: tools/bench/upload_profile.sh [--size SIZE] [--conns N]
                                     [--seconds S] [--build DIR] [--data DIR]

  --size SIZE   file size per upload (default 4K; K/M/G suffixes)
  --conns N     concurrent connections (default 16)
  --seconds S   length of each phase (default 8)
  --build DIR   build directory (default build)
  --data DIR    storage parent on a real disk (default DIR/bench-data)
  -h, --help    this text

Needs root, perf (linux-perf), strace, redis-server and python3.

Exit codes: 0 done; 1 a step failed; 2 usage error.

Examples:
  tools/bench/upload_profile.sh --size 4K --conns 16
  tools/bench/upload_profile.sh --size 16M --conns 16 --seconds 10 --build build/bench
EOF
}

size=4K conns=16 secs=8 build=build data=
# value OPTION ARGS...: the option's value, or a usage error when missing.
value() {
	[ $# -ge 2 ] && [ -n "$2" ] ||
		{ echo "upload_profile: $1 needs a value (see --help)" >&2; exit 2; }
	echo "$2"
}
while [ $# -gt 0 ]; do
	case $1 in
	--size) size=$(value "$@"); shift ;;
	--conns) conns=$(value "$@"); shift ;;
	--seconds) secs=$(value "$@"); shift ;;
	--build) build=$(value "$@"); shift ;;
	--data) data=$(value "$@"); shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "upload_profile: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[[ $conns =~ ^[1-9][0-9]*$ && $secs =~ ^[1-9][0-9]*$ && $size =~ ^[1-9][0-9]*[KMG]?$ ]] ||
	{ echo "upload_profile: --size, --conns and --seconds need positive numbers (see --help)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "upload_profile: needs root (perf -a, /proc/PID/task/*/stack)" >&2; exit 1; }
for c in perf strace redis-server python3; do
	command -v "$c" >/dev/null ||
		{ echo "upload_profile: $c is not installed (apt-get install linux-perf strace redis-server python3)" >&2; exit 1; }
done

make -s -C "$root" BUILD="$build" "$build/uploadd" "$build/bench/loadgen" >&2 ||
	{ echo "upload_profile: build failed (see above)" >&2; exit 1; }
case $build in /*) ;; *) build=$root/$build ;; esac
data=${data:-$build/bench-data}
mkdir -p "$data"
export TS_BUILD=$build TS_ROOT=$root
source "$root/tests/integration/lib/common.sh"
source "$root/tests/integration/lib/uploadd.sh"
source "$root/tools/bench/bench_lib.sh"
report=$root/tools/bench/profile_report.py

# load NAME ARGS...: one loadgen run with a unique prefix; prints its JSON.
load() {
	local name=$1
	shift
	"$TS_BUILD/bench/loadgen" --json -s "$size" -c "$conns" -p "prof-$name" "$@" \
		"$UPLOADD_URL/upload" 2>"$TEST_TMP/loadgen.err" ||
		fail "loadgen ($name) got no 2xx answer: $(tail -2 "$TEST_TMP/loadgen.err")"
}
field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }

start_redis
bench_store_init "$data"
start_fresh_uploadd
pid=$UPLOADD_PID
echo "uploadd $pid, $size uploads, $conns connections, ${secs} s per phase; load average $(cut -d' ' -f1-3 /proc/loadavg)"
load warm -d 2 >/dev/null

echo
echo "== clean run: speed, CPU, memory, Redis"
redis-cli -p "$REDIS_PORT" config resetstat >/dev/null
cpu0=$(proc_cpu_s "$pid")
json=$(load clean -d "$secs")
cpu1=$(proc_cpu_s "$pid")
ok=$(field ok <<<"$json")
echo "uploads: $ok in $(field elapsed_s <<<"$json") s = $(field uploads_per_s <<<"$json") /s, $(field mib_per_s <<<"$json") MiB/s; non-2xx $(field non_2xx <<<"$json")"
awk -v a="$cpu0" -v b="$cpu1" -v n="$ok" 'BEGIN { printf "uploadd CPU: %.2f s = %.0f us per upload\n", b - a, (b - a) * 1e6 / n }'
echo "uploadd peak RSS (VmHWM): $(proc_hwm_kib "$pid") KiB, threads now: $(ls /proc/"$pid"/task | wc -l)"
echo "Redis commands per upload:"
redis-cli -p "$REDIS_PORT" info commandstats | tr -d '\r' |
	awk -F'[:,=]' -v n="$ok" '/^cmdstat_/ && !/config|info/ { sub("cmdstat_", "", $1); printf "  %6.2f  %s (%s us per call in Redis)\n", $3 / n, $1, $7 }'

echo
echo "== perf (system-wide, dwarf stacks, filtered to uploadd)"
perf record -q -a -F 499 --call-graph dwarf,8192 -o "$TEST_TMP/perf.data" -- sleep $((secs + 1)) \
	>/dev/null 2>"$TEST_TMP/perf.err" &
perf_pid=$!
track_pid "$perf_pid"
json=$(load perf -d "$secs")
wait "$perf_pid" || fail "perf record failed: $(tail -2 "$TEST_TMP/perf.err")"
forget_pid "$perf_pid"
perf script -i "$TEST_TMP/perf.data" -F comm,pid,tid,ip,sym 2>/dev/null |
	python3 "$report" perf "$pid" "$(field ok <<<"$json")"

echo
echo "== thread states (where blocked threads wait)"
python3 "$report" offcpu "$pid" "$secs" >"$TEST_TMP/offcpu.txt" &
off_pid=$!
load offcpu -d "$secs" >/dev/null
wait "$off_pid"
cat "$TEST_TMP/offcpu.txt"

echo
echo "== syscalls (strace -f -c; slows uploadd down)"
n=200
case $size in *M | *G) n=40 ;; esac
strace -f -c -q -o "$TEST_TMP/strace.txt" -p "$pid" &
strace_pid=$!
track_pid "$strace_pid"
sleep 1 # attached to every thread
load strace -n "$n" >/dev/null
stop_tracked "$strace_pid"
python3 "$report" strace "$n" "$TEST_TMP/strace.txt"

# Leftovers of a failed run are removed by the next run's bench_store_init.
stop_tracked "$pid"
bench_store_cleanup
