# Shared helpers for integration tests (sourced, not run).
#
# Every test starts its own real servers on free loopback ports, records their
# PIDs and stops exactly those PIDs on exit (trap). A test that cannot run
# here calls skip "reason", which prints "SKIP: reason" and exits 77 so the
# runner reports it as skipped, never as passed.
#
# Environment set by tools/run-tests.sh: TS_BUILD (build dir), TS_ROOT (repo).

set -euo pipefail

TS_ROOT=${TS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
TS_BUILD=${TS_BUILD:-$TS_ROOT/build}
TEST_NAME=$(basename "${0%.sh}")
TEST_TMP=$(mktemp -d "/tmp/ts-$TEST_NAME.XXXXXX")
TEST_PIDS=()

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
info() { echo "# $*"; }

# Stops every process this test started, by PID, then removes the temp dir.
cleanup_test() {
	local rc=$?
	local pid
	for pid in "${TEST_PIDS[@]+"${TEST_PIDS[@]}"}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${TEST_PIDS[@]+"${TEST_PIDS[@]}"}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
		echo "# test failed (exit $rc); temp dir kept: $TEST_TMP" >&2
	else
		rm -rf "$TEST_TMP"
	fi
	exit $rc
}
trap cleanup_test EXIT
trap 'exit 130' INT TERM

track_pid() { TEST_PIDS+=("$1"); }

# Stops one tracked process by PID (SIGTERM, then SIGKILL after 5 s).
stop_pid() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# Prints a TCP port on 127.0.0.1 that is free right now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until a TCP port on 127.0.0.1 accepts connections (timeout seconds).
wait_port() {
	local port=$1 timeout=${2:-10} i
	for i in $(seq $((timeout * 20))); do
		(exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (CAP_BPF, CAP_PERFMON) to load BPF programs; run as root or in CI"
}

require_bpf() {
	require_root
	[ -r /sys/kernel/btf/vmlinux ] || skip "kernel has no BTF (/sys/kernel/btf/vmlinux missing)"
	[ -e /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
		skip "tracefs is not mounted and cannot be mounted"
}

require_cmd() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed${2:+ ($2)}"
}

# Starts a private redis-server on a free loopback port with no persistence.
# Sets REDIS_PORT and REDIS_PID. Args: extra redis-server options.
start_redis() {
	require_cmd redis-server "apt-get install redis-server"
	REDIS_PORT=${REDIS_PORT:-$(free_port)}
	mkdir -p "$TEST_TMP/redis"
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$TEST_TMP/redis" --daemonize no "$@" \
		>"$TEST_TMP/redis/redis.log" 2>&1 &
	REDIS_PID=$!
	track_pid "$REDIS_PID"
	wait_port "$REDIS_PORT" 10 || fail "redis-server did not start on port $REDIS_PORT (log: $TEST_TMP/redis/redis.log)"
	for _ in $(seq 100); do
		[ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.05
	done
	fail "redis-server on port $REDIS_PORT does not answer PING"
}

# Restarts redis on the same port after stop_pid "$REDIS_PID".
restart_redis() {
	start_redis "$@"
}
