#!/usr/bin/env bash
# Versions are immutable, and the upload lock works: while one upload of a
# (filename, version) holds the lock, a second one gets 409 whichever order
# its fields come in, and once the first commits, later ones get 409 for the
# existing version. A client that disconnects mid-upload leaves no file
# behind and releases its lock at once (not after the TTL).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
require_cmd curl
require_cmd python3

start_redis
# A long TTL: a released lock must be released, not expired.
start_uploadd --lock-ttl 600000

head -c $((1024 * 1024)) /dev/urandom >"$TEST_TMP/f"
head -c 1000 /dev/urandom >"$TEST_TMP/small"

info "a slow upload holds the lock (names first)"
curl -s -o "$TEST_TMP/slow.body" -w '%{http_code}' --limit-rate 400K \
	-F filename=shared.bin -F version=1 -F "file=@$TEST_TMP/f" \
	"$UPLOADD_URL/upload" >"$TEST_TMP/slow.code" &
slow=$!
track_pid $slow
wait_redis_key lock:shared.bin:1 1

code=$(upload "$TEST_TMP/small" shared.bin 1)
expect_status 409 "$code" "same pair while locked (names first)"
grep -q 'in progress' "$TEST_TMP/body" || fail "409 body unclear: $(cat "$TEST_TMP/body")"
code=$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' -F "file=@$TEST_TMP/small" \
	-F filename=shared.bin -F version=1 "$UPLOADD_URL/upload")
expect_status 409 "$code" "same pair while locked (file first)"
expect_status 201 "$(upload "$TEST_TMP/small" shared.bin 2)" "another version meanwhile"

wait $slow || true
expect_status 201 "$(cat "$TEST_TMP/slow.code")" "the slow upload that held the lock"
[ "$(json_field sha256 "$TEST_TMP/slow.body")" = "$(sha256sum "$TEST_TMP/f" | cut -d' ' -f1)" ] ||
	fail "slow upload stored the wrong bytes"
assert_no_locks
expect_status 409 "$(upload "$TEST_TMP/small" shared.bin 1)" "existing version after commit"
grep -q 'already exists' "$TEST_TMP/body" || fail "409 body unclear"
assert_object_count 2
assert_no_temp_files

# Files uploadd has open in the storage directory (not the directory
# itself, nor the segments directory and segment files, which small
# uploads share and stay open): an upload streams into an unnamed
# O_TMPFILE file ("#INODE (deleted)"), or a named temp file where the file
# system has no O_TMPFILE.
open_upload_files() {
	local store fd target
	store=$(realpath "$UPLOADD_STORAGE")
	for fd in /proc/"$UPLOADD_PID"/fd/*; do
		target=$(readlink "$fd" 2>/dev/null) || continue
		case $target in
		"$store"/segments | "$store"/segments/*) ;;
		"$store"/*) echo "$target" ;;
		esac
	done
	return 0
}

info "client abort mid-upload: its file discarded, lock released"
curl -s -o /dev/null --limit-rate 100K -F filename=aborted.bin -F version=1 \
	-F "file=@$TEST_TMP/f" "$UPLOADD_URL/upload" &
victim=$!
track_pid $victim
wait_redis_key lock:aborted.bin:1 1
for _ in $(seq 100); do
	[ -n "$(open_upload_files)" ] && break
	sleep 0.05
done
[ -n "$(open_upload_files)" ] || fail "no upload file open while streaming"
kill -KILL $victim
wait $victim 2>/dev/null || true
wait_redis_key lock:aborted.bin:1 0 5
wait_log 'path=/upload status=0 .* end='
assert_no_temp_files
[ -z "$(open_upload_files)" ] || fail "the aborted upload's file is still open: $(open_upload_files)"
assert_object_count 2
[ "$(metric 'uploadd_uploads_total{status="aborted"}')" = 1 ] || fail "aborted upload not counted"
[ "$(metric uploadd_uploads_in_flight)" = 0 ] || fail "in-flight gauge not back to 0"
expect_status 201 "$(upload "$TEST_TMP/small" aborted.bin 1)" "the same pair right after the abort"
stop_uploadd

info "a long upload renews its lock: still held after twice the TTL"
start_uploadd --lock-ttl 1000
curl -s -o /dev/null -w '%{http_code}' --limit-rate 300K -F filename=long.bin \
	-F version=1 -F "file=@$TEST_TMP/f" "$UPLOADD_URL/upload" >"$TEST_TMP/long.code" &
long=$!
track_pid $long
wait_redis_key lock:long.bin:1 1
sleep 2
expect_status 409 "$(upload "$TEST_TMP/small" long.bin 1)" "competitor after 2 TTLs"
wait $long || true
expect_status 201 "$(cat "$TEST_TMP/long.code")" "the long upload"
assert_no_locks
stop_uploadd
