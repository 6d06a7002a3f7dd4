#!/usr/bin/env bash
# Chaos for uploadd (bounded, loopback only): 32 concurrent clients upload
# a mix of sizes for CHAOS_SECONDS (default 15; `make chaos` runs 60), 5%
# of them cutting the connection mid-body, while redis-server is killed
# (SIGKILL) and restarted twice and uploadd is stopped (SIGTERM) and
# restarted once. Afterwards tools/chaos/chaos_check.py verifies that every
# upload answered 201 downloads intact with its metadata, that nothing else
# is visible, that objects and metadata match one for one, and that no
# temp file or lock key is left; it prints the counts.
#
# Redis runs with appendonly + appendfsync always: a SIGKILL must not take
# acknowledged metadata with it (that is the deployment uploadd needs; with
# persistence off every restart would lose every upload).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
require_cmd python3
require_cmd redis-server
require_cmd curl

SECS=${CHAOS_SECONDS:-15}
LOCK_TTL_MS=2000
CHAOS=$TS_ROOT/tools/chaos
REDIS_OPTS=(--appendonly yes --appendfsync always)

start_redis "${REDIS_OPTS[@]}"
API_PORT=$(free_port)
UPLOADD_OPTS=(--listen "127.0.0.1:$API_PORT" --lock-ttl "$LOCK_TTL_MS"
	--shutdown-grace 5 --max-upload-size 4M --no-access-log)
start_uploadd "${UPLOADD_OPTS[@]}"
info "uploadd on port $API_PORT, redis on $REDIS_PORT, $SECS s of chaos"

python3 "$CHAOS/chaos_client.py" --url "$UPLOADD_URL" --seconds "$SECS" \
	--concurrency 32 --abort-rate 0.05 --seed "${CHAOS_SEED:-$RANDOM}" \
	--out "$TEST_TMP/results.jsonl" &
client=$!
track_pid "$client"

# at FRACTION: sleeps until that fraction of the run has passed.
t0=$(date +%s%N)
at() {
	local due=$((t0 + $(python3 -c "print(int($1 * $SECS * 1e9))")))
	local now
	now=$(date +%s%N)
	[ "$now" -lt "$due" ] && sleep "$(python3 -c "print(($due - $now) / 1e9)")"
	return 0
}

kill_redis() {
	info "$(date +%T) SIGKILL redis-server"
	kill -KILL "$REDIS_PID"
	wait "$REDIS_PID" 2>/dev/null || true
	sleep 1
	restart_redis "${REDIS_OPTS[@]}"
	info "$(date +%T) redis-server back (pid $REDIS_PID)"
}

at 0.2
kill_redis
at 0.45
info "$(date +%T) SIGTERM uploadd"
kill -TERM "$UPLOADD_PID"
stop_uploadd signalled
start_uploadd "${UPLOADD_OPTS[@]}"
info "$(date +%T) uploadd back (pid $UPLOADD_PID)"
at 0.7
kill_redis

wait "$client" || fail "the chaos client failed (exit $?)"
# Locks taken by uploads whose Redis went away expire with their TTL.
sleep "$(python3 -c "print($LOCK_TTL_MS / 1000 + 0.5)")"
python3 "$CHAOS/chaos_check.py" --url "$UPLOADD_URL" --redis-port "$REDIS_PORT" \
	--storage "$UPLOADD_STORAGE" --results "$TEST_TMP/results.jsonl" \
	--json "${CHAOS_JSON:-$TEST_TMP/chaos.json}" || fail "chaos check found problems"
stop_uploadd
