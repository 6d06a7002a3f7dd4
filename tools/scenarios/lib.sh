# Shared by the scenario scripts (sourced, not run): options, building what
# they need, a private redis-server and uploadd on free loopback ports (the
# integration-test helpers, which stop everything by PID on exit), both
# thread views through tools/compare-views, and the JSON results.
#
# A scenario defines SC_ABOUT (one paragraph for --help) before sourcing.
# Options every scenario takes:
#   --json DIR    write its results there (scenario.json, plus the raw
#                 documents: inprocess.json, snapshot.json, watch.jsonl,
#                 compare.json, in a subdirectory per capture)
#   --build DIR   build directory (default: build)
#   --no-build    use the binaries already in the build directory
#   -h, --help

SC_NAME=$(basename "$0" .sh)
SC_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SC_JSON=""
SC_BUILD="$SC_ROOT/build"
SC_MAKE=1

sc_usage() {
	cat <<EOF
usage: tools/scenarios/$SC_NAME.sh [--json DIR] [--build DIR] [--no-build]

$SC_ABOUT

Builds uploadd and taskscope (make BUILD=DIR), starts a private
redis-server and uploadd on free loopback ports, stops both by PID at the
end. Needs root (taskscope loads BPF programs).

  --json DIR    also write the results as JSON into DIR: scenario.json and
                the raw documents of each capture (inprocess.json,
                snapshot.json, watch.jsonl, compare.json)
  --build DIR   build directory (default: build)
  --no-build    do not run make; use the binaries in the build directory
  -h, --help    this text

Exit codes: 0 the scenario ran, 1 it could not run (build, servers, a
capture failed), 2 usage error.
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	--json) [ $# -ge 2 ] || { echo "$SC_NAME: --json needs a directory" >&2; exit 2; }
		SC_JSON=$2; shift 2 ;;
	--build) [ $# -ge 2 ] || { echo "$SC_NAME: --build needs a directory" >&2; exit 2; }
		SC_BUILD=$2; shift 2 ;;
	--no-build) SC_MAKE=0; shift ;;
	-h|--help) sc_usage; exit 0 ;;
	*) echo "$SC_NAME: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "$SC_NAME: needs root: taskscope loads BPF programs (run: sudo tools/scenarios/$SC_NAME.sh)" >&2
	exit 1
fi
if [ $SC_MAKE = 1 ]; then
	echo "# building uploadd and taskscope (make BUILD=$SC_BUILD)"
	make -C "$SC_ROOT" -s -j"$(nproc)" BUILD="$SC_BUILD" \
		"$SC_BUILD/uploadd" "$SC_BUILD/taskscope" >/dev/null ||
		{ echo "$SC_NAME: the build failed (run make BUILD=$SC_BUILD to see why)" >&2; exit 1; }
fi
export TS_BUILD
TS_BUILD=$(cd "$SC_BUILD" && pwd)
export TS_ROOT=$SC_ROOT
export TASKSCOPE=$TS_BUILD/taskscope
[ -x "$TS_BUILD/uploadd" ] && [ -x "$TASKSCOPE" ] ||
	{ echo "$SC_NAME: $TS_BUILD has no uploadd or taskscope (drop --no-build)" >&2; exit 1; }

source "$SC_ROOT/tests/integration/lib/common.sh"
source "$SC_ROOT/tests/integration/lib/uploadd.sh"
# A scenario has nothing to skip to: every problem is an error.
skip() { echo "$SC_NAME: $*" >&2; exit 1; }
fail() { echo "$SC_NAME: $*" >&2; exit 1; }

if [ ! -e /sys/kernel/tracing/events ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
		fail "tracefs is not mounted and cannot be mounted (mount -t tracefs nodev /sys/kernel/tracing)"
fi

SC_OUT=${SC_JSON:-$TEST_TMP/out}
mkdir -p "$SC_OUT"
SC_OUT=$(cd "$SC_OUT" && pwd)

sc_step() { printf '\n== %s\n' "$*"; }

# The debug listener's base URL (after start_uploadd).
sc_debug_url() { echo "http://127.0.0.1:$UPLOADD_DEBUG_PORT"; }

# sc_compare NAME [compare-views options]: both views of uploadd now, the
# table printed, the documents kept in $SC_OUT/NAME.
sc_compare() {
	local name=$1
	shift
	"$SC_ROOT/tools/compare-views" -p "$UPLOADD_PID" --debug-url "$(sc_debug_url)" \
		--save-dir "$SC_OUT/$name" "$@" ||
		fail "compare-views failed (exit $?)"
}

# sc_wait_thread NAME [TIMEOUT_S]: waits until uploadd has a thread named
# NAME (read from /proc, so uploadd is not disturbed).
sc_wait_thread() {
	local name=$1 timeout=${2:-15}
	for _ in $(seq $((timeout * 50))); do
		grep -qx -- "$name" /proc/"$UPLOADD_PID"/task/*/comm 2>/dev/null && return 0
		sleep 0.02
	done
	fail "no thread named $name appeared in uploadd within $timeout s"
}

# sc_watch_start FILE DURATION: taskscope watch --json on uploadd into
# FILE, in the background; returns once its probes are attached.
sc_watch_start() {
	SC_WATCH_ERR=$TEST_TMP/watch.$RANDOM.err
	"$TASKSCOPE" watch -p "$UPLOADD_PID" --json --duration "$2" \
		> "$1" 2> "$SC_WATCH_ERR" &
	SC_WATCH_PID=$!
	track_pid "$SC_WATCH_PID"
	for _ in $(seq 300); do
		grep -q watching "$SC_WATCH_ERR" && return 0
		kill -0 "$SC_WATCH_PID" 2>/dev/null ||
			fail "taskscope watch exited early: $(tail -1 "$SC_WATCH_ERR")"
		sleep 0.05
	done
	fail "taskscope watch did not attach within 15 s"
}

# sc_watch_end: waits for the watch started by sc_watch_start to end.
sc_watch_end() {
	wait "$SC_WATCH_PID" || fail "taskscope watch failed: $(tail -1 "$SC_WATCH_ERR")"
}

# sc_wait_syscall NAME NR [TIMEOUT_S]: waits until a thread of uploadd
# named NAME is in syscall NR, read from /proc as root (not from uploadd's
# own dump: its signal would wake the thread and restart the kernel's
# count of how long it has waited). Prints the tid.
sc_wait_syscall() {
	local name=$1 nr=$2 timeout=${3:-10} d
	for _ in $(seq $((timeout * 50))); do
		for d in /proc/"$UPLOADD_PID"/task/*; do
			[ "$(cat "$d/comm" 2>/dev/null)" = "$name" ] || continue
			if [ "$(cut -d' ' -f1 "$d/syscall" 2>/dev/null)" = "$nr" ]; then
				echo "${d##*/}"
				return 0
			fi
		done
		sleep 0.02
	done
	fail "no $name thread of uploadd entered syscall $nr within $timeout s"
}

# sc_summary WHAT [ARGS...]: prints what the saved documents show and
# writes scenario.json (tools/scenarios/summarize.py).
sc_summary() {
	local what=$1
	shift
	python3 "$SC_ROOT/tools/scenarios/summarize.py" "$what" "$SC_OUT" "$@" ||
		fail "cannot summarize the results in $SC_OUT"
}

sc_done() {
	if [ -n "$SC_JSON" ]; then
		echo
		echo "# results: $SC_OUT/scenario.json (raw documents next to it)"
	fi
}
