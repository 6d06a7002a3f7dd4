#!/usr/bin/env bash
# Security defaults and hostile conditions: the Redis password comes from a
# file (and a wrong one is reported clearly), uploadd warns when it runs as
# root and drops to --user after binding, refuses to start when that user
# cannot write the storage, and a full disk gives 507 with nothing left
# behind.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
require_cmd curl
require_cmd python3
require_root
id nobody >/dev/null 2>&1 || skip "no user 'nobody' to drop privileges to"

export REDISCLI_AUTH=pw-$RANDOM$RANDOM
start_redis --requirepass "$REDISCLI_AUTH"
printf '%s\n' "$REDISCLI_AUTH" >"$TEST_TMP/redis.pw"
printf 'wrong\n' >"$TEST_TMP/wrong.pw"
chmod 600 "$TEST_TMP/redis.pw" "$TEST_TMP/wrong.pw"
head -c 100000 /dev/urandom >"$TEST_TMP/small"

info "Redis password from a file; root warning without --user"
start_uploadd --redis-password-file "$TEST_TMP/redis.pw"
grep -q 'warning: running as root: use --user NAME' "$UPLOADD_LOG" || fail "no root warning"
expect_status 201 "$(upload "$TEST_TMP/small" a 1)" "upload with AUTH"
! grep -q -- "$REDISCLI_AUTH" /proc/"$UPLOADD_PID"/cmdline || fail "password on the command line"
stop_uploadd

info "a wrong password is reported, uploads get 503"
UPLOADD_LOG=
"$TS_BUILD/uploadd" --listen 127.0.0.1:0 --debug-listen off --storage "$TEST_TMP/storage" \
	--redis-port "$REDIS_PORT" --redis-password-file "$TEST_TMP/wrong.pw" >"$TEST_TMP/wrong.log" 2>&1 &
UPLOADD_PID=$!
track_pid $UPLOADD_PID
UPLOADD_LOG=$TEST_TMP/wrong.log
wait_log 'listening on'
UPLOADD_PORT=$(sed -n 's/.*(api port \([0-9]*\)).*/\1/p' "$UPLOADD_LOG")
UPLOADD_URL=http://127.0.0.1:$UPLOADD_PORT
grep -q 'refused the password from --redis-password-file' "$UPLOADD_LOG" || fail "wrong password not reported at start-up"
expect_status 503 "$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$UPLOADD_URL/healthz")" "healthz with a wrong password"
grep -q 'refused the password' "$TEST_TMP/body" || fail "healthz body: $(cat "$TEST_TMP/body")"
expect_status 503 "$(upload "$TEST_TMP/small" b 1)" "upload with a wrong password"
stop_uploadd

info "--user: refuses a storage directory the user cannot write"
mkdir -p "$TEST_TMP/rootonly"
chmod 700 "$TEST_TMP/rootonly"
rc=0
"$TS_BUILD/uploadd" --listen 127.0.0.1:0 --debug-listen off --storage "$TEST_TMP/rootonly" \
	--redis-port "$REDIS_PORT" --user nobody 2>"$TEST_TMP/err" || rc=$?
[ $rc -eq 1 ] || fail "unwritable storage: exit $rc, want 1"
grep -q 'cannot write to the storage directory .*chown it' "$TEST_TMP/err" || fail "unclear: $(cat "$TEST_TMP/err")"
rc=0
"$TS_BUILD/uploadd" --listen 127.0.0.1:0 --debug-listen off --storage "$TEST_TMP/rootonly" \
	--redis-port "$REDIS_PORT" --user no-such-user-xyz 2>"$TEST_TMP/err" || rc=$?
[ $rc -eq 1 ] || fail "unknown user: exit $rc, want 1"
grep -q "no user named 'no-such-user-xyz'" "$TEST_TMP/err" || fail "unclear: $(cat "$TEST_TMP/err")"

info "--user: runs unprivileged after binding"
mkdir -p "$TEST_TMP/nobody"
chown nobody "$TEST_TMP/nobody"
chmod 755 "$TEST_TMP"
UPLOADD_STORAGE=$TEST_TMP/nobody
start_uploadd --redis-password-file "$TEST_TMP/redis.pw" --user nobody
uid=$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$UPLOADD_PID/status")
[ "$uid" = 65534655346553465534 ] || fail "uploadd still runs with uid $uid"
! grep -q 'running as root' "$UPLOADD_LOG" || fail "root warning despite --user"
expect_status 201 "$(upload "$TEST_TMP/small" c 1)" "upload as nobody"
[ "$(stat -c %U "$UPLOADD_STORAGE/$(json_field path)")" = nobody ] || fail "object not owned by nobody"

info "tampered metadata never becomes a path"
redis-cli -p "$REDIS_PORT" hset file:evil:1 filename evil version 1 size 10 \
	sha256 "$(printf 'a%.0s' $(seq 64))" path ../../../../etc/passwd uploaded_at x >/dev/null
redis-cli -p "$REDIS_PORT" hset file:odd:1 filename odd version 1 >/dev/null
code=$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$UPLOADD_URL/files/evil/1")
expect_status 500 "$code" "metadata pointing outside the storage"
! grep -q 'root:' "$TEST_TMP/body" || fail "served a file outside the storage directory"
code=$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$UPLOADD_URL/files/odd/1/meta")
expect_status 503 "$code" "incomplete metadata"
grep -q 'damaged metadata' "$TEST_TMP/body" || fail "damaged metadata not reported: $(cat "$TEST_TMP/body")"
expect_status 200 "$(curl -s -o /dev/null -w '%{http_code}' "$UPLOADD_URL/files/c/1")" "a good download after that"
stop_uploadd

info "storage full: 507, nothing left behind"
mkdir -p "$TEST_TMP/full"
if mount -t tmpfs -o size=1m tmpfs "$TEST_TMP/full" 2>/dev/null; then
	trap 'rc=$?; umount "$TEST_TMP/full" 2>/dev/null; (exit $rc); cleanup_test' EXIT
	UPLOADD_STORAGE=$TEST_TMP/full
	start_uploadd --redis-password-file "$TEST_TMP/redis.pw"
	head -c $((3 * 1024 * 1024)) /dev/urandom >"$TEST_TMP/big"
	code=$(upload "$TEST_TMP/big" big 1)
	expect_status 507 "$code" "upload to a full disk"
	grep -q 'the storage is full' "$TEST_TMP/body" || fail "507 body: $(cat "$TEST_TMP/body")"
	assert_no_temp_files
	assert_object_count 0
	assert_no_locks
	expect_status 201 "$(upload "$TEST_TMP/small" fits 1)" "a small upload still fits"
	stop_uploadd
else
	info "cannot mount a tmpfs here: storage-full check not run"
fi
