#!/usr/bin/env bash
# SIGTERM: uploadd stops accepting connections at once, lets uploads in
# flight finish within --shutdown-grace, aborts the rest cleanly (temp files
# removed, locks released, nothing half-stored) and exits 0. A restart on
# the same storage removes temp files a crash would have left and serves
# what was committed.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
require_cmd curl
require_cmd python3

start_redis
head -c $((1024 * 1024)) /dev/urandom >"$TEST_TMP/f"

# slow_upload NAME RATE: background upload, names first; sets SLOW_PID.
slow_upload() {
	curl -s -o "$TEST_TMP/$1.body" -w '%{http_code}' --limit-rate "$2" \
		-F "filename=$1" -F version=1 -F "file=@$TEST_TMP/f" \
		"$UPLOADD_URL/upload" >"$TEST_TMP/$1.code" &
	SLOW_PID=$!
	track_pid $SLOW_PID
}


info "uploads that can finish within the grace period do"
start_uploadd --shutdown-grace 20 --lock-ttl 600000
slow_upload quick1 1M; q1=$SLOW_PID
slow_upload quick2 1M; q2=$SLOW_PID
wait_redis_key lock:quick1:1 1
wait_redis_key lock:quick2:1 1
kill -TERM "$UPLOADD_PID"
wait_log 'shutting down'
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$UPLOADD_URL/healthz" || true)
[ "$code" = 000 ] || fail "new connection accepted while shutting down (HTTP $code)"
wait $q1 $q2 || true
expect_status 201 "$(cat "$TEST_TMP/quick1.code")" "in-flight upload 1 during shutdown"
expect_status 201 "$(cat "$TEST_TMP/quick2.code")" "in-flight upload 2 during shutdown"
stop_uploadd signalled
assert_no_temp_files
assert_no_locks
assert_object_count 2

info "uploads that cannot finish are aborted cleanly"
start_uploadd --shutdown-grace 1 --lock-ttl 600000
for n in 1 2 3; do
	slow_upload "slow$n" 50K
done
for n in 1 2 3; do wait_redis_key "lock:slow$n:1" 1; done
stop_uploadd
grep -q 'aborting 3 upload(s) still in flight' "$UPLOADD_LOG" || fail "no abort line: $(cat "$UPLOADD_LOG")"
assert_no_temp_files
assert_no_locks
assert_object_count 2

info "a restart on the same storage serves what was committed"
# What a crash (SIGKILL, power loss) would leave: temp files, nothing else.
head -c 1000 /dev/urandom >"$UPLOADD_STORAGE/.uploadd-tmp-0123456789abcdef0123456789abcdef"
head -c 1000 /dev/urandom >"$UPLOADD_STORAGE/.uploadd-tmp-fedcba9876543210fedcba9876543210"
start_uploadd
grep -q "removed 2 temp file(s) left by an earlier run" "$UPLOADD_LOG" || fail "leftover temp files not cleaned"
assert_no_temp_files
assert_object_count 2
curl -s "$UPLOADD_URL/files/quick1/1" | cmp -s - "$TEST_TMP/f" || fail "committed upload lost across restart"
expect_status 201 "$(upload "$TEST_TMP/f" slow1 1)" "an aborted pair can be uploaded again"
stop_uploadd
