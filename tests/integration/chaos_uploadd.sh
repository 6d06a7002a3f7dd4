#!/usr/bin/env bash
# Chaos for uploadd (bounded, loopback only): 32 concurrent clients upload
# a mix of sizes for CHAOS_SECONDS (default 15; `make chaos` runs 60), 5%
# of them cutting the connection mid-body, while redis-server is killed
# (SIGKILL) and restarted twice, uploadd is killed (SIGKILL, no cleanup at
# all) and restarted twice and stopped (SIGTERM) and restarted once. Then
# uploadd restarts with a short --orphan-grace and its orphan sweep removes
# what the killed uploads left (files linked but never committed).
# Afterwards tools/chaos/chaos_check.py verifies that every
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

kill_uploadd() {
	info "$(date +%T) SIGKILL uploadd"
	kill -KILL "$UPLOADD_PID"
	wait "$UPLOADD_PID" 2>/dev/null || true
	start_uploadd "${UPLOADD_OPTS[@]}"
	info "$(date +%T) uploadd back (pid $UPLOADD_PID)"
}

at 0.15
kill_uploadd
at 0.2
kill_redis
at 0.3
kill_uploadd
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
# Recovery: the sweep runs at start-up and every second; the uploads the
# kills cut are over once their lock expired and their heartbeat is older
# than the grace.
stop_uploadd
start_uploadd "${UPLOADD_OPTS[@]}" --sweep-interval 1 --orphan-grace "$LOCK_TTL_MS"
runs=$(metric 'uploadd_orphan_sweeps_total{outcome="ok"}')
for _ in $(seq 100); do
	[ "$(metric 'uploadd_orphan_sweeps_total{outcome="ok"}')" -ge $((runs + 2)) ] && break
	sleep 0.1
done
info "orphan sweep: $(metric uploadd_orphans_found_total) upload(s) found, $(metric uploadd_orphans_removed_total) file(s) removed (this run; earlier runs: $(grep -h 'orphan sweep: removed' "$TEST_TMP"/uploadd.*.log | wc -l) removal(s) logged)"
python3 "$CHAOS/chaos_check.py" --url "$UPLOADD_URL" --redis-port "$REDIS_PORT" \
	--storage "$UPLOADD_STORAGE" --results "$TEST_TMP/results.jsonl" \
	--json "${CHAOS_JSON:-$TEST_TMP/chaos.json}" || fail "chaos check found problems"
stop_uploadd
