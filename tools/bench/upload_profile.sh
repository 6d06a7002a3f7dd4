#!/usr/bin/env bash
# Profiles uploadd under one point of the benchmark's load and prints where
# its time goes: CPU per upload, redis-server's CPU per upload and Redis
# commands per upload (clean run); context switches, migrations and page
# faults per upload (perf stat); a system-wide perf profile filtered to
# uploadd (thread names, self symbols, inclusive pipeline functions, and
# one upload's CPU split by category in µs: SHA-256, receiving, parsing,
# copying, page-cache writes, flushes, thread start/exit, waits and
# wake-ups, Redis, MHD); the group commit's uploads per flush (/metrics);
# thread states sampled from /proc (what blocked threads wait in); and
# strace's syscalls per upload. Each phase gets its own loadgen run
# against the same warmed-up uploadd; perf and strace slow it down, so
# only the first phase's figures are speeds.
# Root is needed for perf -a and /proc/PID/task/*/stack.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
usage() {
	cat <<'EOF'
upload_profile.sh: where uploadd's time goes under one benchmark load

Usage: tools/bench/upload_profile.sh [--size SIZE] [--conns N]
                                     [--seconds S] [--build DIR] [--data DIR]
                                     [-- UPLOADD_OPTION...]

  --size SIZE   file size per upload (default 4K; K/M/G suffixes)
  --conns N     concurrent connections (default 16)
  --seconds S   length of each phase (default 8)
  --build DIR   build directory (default build)
  --data DIR    storage parent on a real disk (default DIR/bench-data)
  -- OPTIONS    passed to uploadd (e.g. -- --small-file-max 0 to profile
                small files stored a file each)
  -h, --help    this text

Needs root, perf (linux-perf), strace, redis-server and python3.

Exit codes: 0 done; 1 a step failed; 2 usage error.

Examples:
  tools/bench/upload_profile.sh --size 4K --conns 16
  tools/bench/upload_profile.sh --size 1M --conns 1 --build build/bench
  tools/bench/upload_profile.sh --size 4K --conns 16 -- --small-file-max 0
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
	--) shift; break ;;
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
STORE_RUNS=$((STORE_RUNS + 1))
UPLOADD_STORAGE=$STORE_ROOT/run-$STORE_RUNS
start_uploadd "$@"
pid=$UPLOADD_PID
echo "uploadd $pid, $size uploads, $conns connections, ${secs} s per phase; load average $(cut -d' ' -f1-3 /proc/loadavg)"
load warm -d 2 >/dev/null

echo
echo "== clean run: speed, CPU, memory, Redis"
redis-cli -p "$REDIS_PORT" config resetstat >/dev/null
metrics() { curl -s "http://127.0.0.1:$UPLOADD_DEBUG_PORT/metrics"; }
m0=$(metrics)
cpu0=$(proc_cpu_s "$pid")
rcpu0=$(proc_cpu_s "$REDIS_PID")
json=$(load clean -d "$secs")
cpu1=$(proc_cpu_s "$pid")
rcpu1=$(proc_cpu_s "$REDIS_PID")
m1=$(metrics)
ok=$(field ok <<<"$json")
echo "uploads: $ok in $(field elapsed_s <<<"$json") s = $(field uploads_per_s <<<"$json") /s, $(field mib_per_s <<<"$json") MiB/s; non-2xx $(field non_2xx <<<"$json")"
awk -v a="$cpu0" -v b="$cpu1" -v n="$ok" 'BEGIN { printf "uploadd CPU: %.2f s = %.0f us per upload\n", b - a, (b - a) * 1e6 / n }'
cpu_us=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$ok" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }')
awk -v a="$rcpu0" -v b="$rcpu1" -v n="$ok" 'BEGIN { printf "redis-server CPU: %.2f s = %.0f us per upload\n", b - a, (b - a) * 1e6 / n }'
# Group commit: uploads that each segment fdatasync covered.
awk -v before="$m0" 'BEGIN { n = split(before, l, "\n"); for (i = 1; i <= n; i++) { split(l[i], f, " "); b[f[1]] = f[2] } }
	$1 == "uploadd_segment_flushes_total" { fl = $2 - b[$1] }
	$1 == "uploadd_segment_records_total" { rec = $2 - b[$1] }
	END { if (fl > 0) printf "segment records: %d in %d group fdatasyncs = %.1f per flush\n", rec, fl, rec / fl;
	      else print "segment records: none (files of their own)" }' <<<"$m1"
echo "uploadd peak RSS (VmHWM): $(proc_hwm_kib "$pid") KiB, threads now: $(ls /proc/"$pid"/task | wc -l)"
echo "Redis commands per upload:"
redis-cli -p "$REDIS_PORT" info commandstats | tr -d '\r' |
	awk -F'[:,=]' -v n="$ok" '/^cmdstat_/ && !/config|info/ { sub("cmdstat_", "", $1); printf "  %6.2f  %s (%s us per call in Redis)\n", $3 / n, $1, $7 }'

echo
echo "== perf stat: scheduling per upload"
perf stat -e context-switches,cpu-migrations,page-faults -p "$pid" -o "$TEST_TMP/stat.txt" \
	-- sleep "$secs" >/dev/null 2>&1 &
stat_pid=$!
track_pid "$stat_pid"
json=$(load stat -d "$secs")
wait "$stat_pid" || fail "perf stat failed: $(tail -2 "$TEST_TMP/stat.txt")"
forget_pid "$stat_pid"
awk -v n="$(field ok <<<"$json")" '/context-switches|cpu-migrations|page-faults/ {
	gsub(",", "", $1); printf "  %7.2f  %s per upload\n", $1 / n, $2 }' "$TEST_TMP/stat.txt"

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
	python3 "$report" perf "$pid" "$(field ok <<<"$json")" "$cpu_us"

echo
echo "== thread states (where blocked threads wait)"
python3 "$report" offcpu "$pid" "$secs" >"$TEST_TMP/offcpu.txt" &
off_pid=$!
load offcpu -d "$secs" >/dev/null
wait "$off_pid"
cat "$TEST_TMP/offcpu.txt"

echo
echo "== syscalls (strace -f -c; slows uploadd down)"
n=400
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
