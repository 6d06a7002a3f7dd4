#!/usr/bin/env bash
# Redis failures: stopped (connection refused), killed in the middle of an
# upload, and hung (SIGSTOP, command timeout). Each affected upload gets 503
# with a clear body and leaves nothing stored and no temp file; /healthz
# says 503; once Redis is back on the same port, uploads succeed again
# without restarting uploadd.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
require_cmd curl
require_cmd python3
require_cmd redis-cli

start_redis
start_uploadd --lock-ttl 2000 --redis-timeout 500
head -c 100000 /dev/urandom >"$TEST_TMP/small"
head -c $((1024 * 1024)) /dev/urandom >"$TEST_TMP/f"

expect_status 201 "$(upload "$TEST_TMP/small" before 1)" "upload with Redis up"
assert_object_count 1

info "Redis stopped"
stop_pid "$REDIS_PID"
code=$(upload "$TEST_TMP/small" during 1)
expect_status 503 "$code" "upload with Redis down"
grep -q 'metadata store unavailable: cannot connect to Redis' "$TEST_TMP/body" ||
	fail "503 body unclear: $(cat "$TEST_TMP/body")"
code=$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' -F "file=@$TEST_TMP/small" \
	-F filename=during -F version=2 "$UPLOADD_URL/upload")
expect_status 503 "$code" "file-first upload with Redis down (fails at commit)"
assert_object_count 1
assert_no_temp_files
expect_status 503 "$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$UPLOADD_URL/healthz")" "healthz with Redis down"
expect_status 503 "$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$UPLOADD_URL/files/before/1")" "download with Redis down"
[ "$(metric uploadd_redis_errors_total)" -ge 3 ] || fail "Redis errors not counted"
wait_log 'cannot connect to Redis at .*; uploads get 503 until it is back'
[ "$(grep -c 'uploads get 503 until it is back' "$UPLOADD_LOG")" -eq 1 ] ||
	fail "losing Redis must be logged once, not per request"

info "Redis back on the same port: no uploadd restart needed"
restart_redis
expect_status 201 "$(upload "$TEST_TMP/small" after 1)" "upload after Redis restart"
curl -s "$UPLOADD_URL/files/after/1" | cmp -s - "$TEST_TMP/small" || fail "download after restart"
wait_log 'Redis at 127.0.0.1:[0-9]* is reachable again'

info "Redis killed in the middle of an upload"
curl -s -o "$TEST_TMP/mid.body" -w '%{http_code}' --limit-rate 300K \
	-F filename=mid -F version=1 -F "file=@$TEST_TMP/f" "$UPLOADD_URL/upload" >"$TEST_TMP/mid.code" &
mid=$!
track_pid $mid
wait_redis_key lock:mid:1 1
kill -KILL "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null || true
wait $mid || true
expect_status 503 "$(cat "$TEST_TMP/mid.code")" "upload whose Redis died mid-way"
objects=$(stored_objects | wc -l)
[ "$objects" -eq 2 ] || fail "a half-stored upload is visible: $objects objects"
assert_no_temp_files
restart_redis
expect_status 201 "$(upload "$TEST_TMP/small" mid 1)" "the same pair once Redis is back"

info "Redis hung (SIGSTOP): command timeout"
kill -STOP "$REDIS_PID"
code=$(upload "$TEST_TMP/small" hung 1)
kill -CONT "$REDIS_PID"
expect_status 503 "$code" "upload with Redis hung"
grep -q 'did not answer' "$TEST_TMP/body" || fail "timeout body unclear: $(cat "$TEST_TMP/body")"
assert_no_temp_files
expect_status 201 "$(upload "$TEST_TMP/small" after-hang 1)" "upload after Redis resumed"
# A lock Redis applied after the client gave up expires with its TTL.
sleep 2.1
assert_no_locks
assert_object_count 4
stop_uploadd
